import pytest

from tools.destinations_doc import END, START, main, render_section


def table_row(section, needs):
    lines = section.splitlines()
    return next(line for line in lines if line.startswith(f"| {needs} |"))


def test_section_groups_destinations_by_what_every_call_needs():
    section = render_section()

    assert section.startswith("## Choosing identifiers\n")
    email_row = table_row(section, "An email")
    assert "| Email column" in email_row
    assert "Klaviyo" in email_row
    assert "Amplitude" not in email_row
    assert "Amplitude" in table_row(section, "A user ID")
    assert "Customer.io" in table_row(section, "Both a user ID and an email")
    assert "Intercom" in table_row(section, "A user ID or an email")
    assert "Calq" in table_row(section, "A user ID or an anonymous ID")
    assert "Salesmachine" in table_row(section, "No particular identifier")


def test_section_lists_extra_needs_and_notes():
    section = render_section()

    salesmachine = (
        "- Salesmachine: needs no particular identifier, and also a trait named "
        "account_uid."
    )
    woopra = "- Woopra: needs a user ID or a cookie set in the destination settings."
    assert salesmachine in section.splitlines()
    assert woopra in section.splitlines()


def test_write_appends_the_section_to_a_readme_without_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# Hub\n\nIntro.\n")

    assert main(["--write", str(readme)]) == 0

    text = readme.read_text()
    assert text.startswith("# Hub\n\nIntro.\n\n" + START + "\n## Choosing identifiers")
    assert text.endswith(END + "\n")
    assert main(["--check", str(readme)]) == 0


def test_write_creates_a_missing_readme(tmp_path):
    readme = tmp_path / "README.md"

    assert main(["--write", str(readme)]) == 0
    assert main(["--check", str(readme)]) == 0


def test_write_replaces_only_the_section_and_is_stable(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Hub\n\n{START}\nold table\n{END}\n\n## Later\n\nKept.\n")

    main(["--write", str(readme)])
    once = readme.read_text()
    main(["--write", str(readme)])

    assert readme.read_text() == once
    assert "old table" not in once
    assert once.startswith(f"# Hub\n\n{START}\n## Choosing identifiers")
    assert once.endswith(f"{END}\n\n## Later\n\nKept.\n")


def test_check_fails_when_the_section_differs_from_the_table(tmp_path, capsys):
    readme = tmp_path / "README.md"
    main(["--write", str(readme)])
    readme.write_text(readme.read_text().replace("Klaviyo, ", ""))

    assert main(["--check", str(readme)]) == 1
    assert "--write" in capsys.readouterr().err


@pytest.mark.parametrize("text", [None, "# Hub\n", f"# Hub\n{START}\nno end\n"])
def test_check_fails_when_the_readme_or_its_markers_are_missing(tmp_path, text):
    readme = tmp_path / "README.md"
    if text is not None:
        readme.write_text(text)
    assert main(["--check", str(readme)]) == 1


def test_without_options_the_section_is_printed(capsys):
    assert main([]) == 0
    assert capsys.readouterr().out == render_section()


def test_the_repositorys_readme_matches_the_destination_table():
    from pathlib import Path

    from tools.destinations_doc import main

    readme = Path(__file__).resolve().parents[2] / "README.md"
    assert main(["--check", str(readme)]) == 0
