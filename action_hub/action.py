"""What every action offers the hub: a definition, a form, and a run."""

import re
from dataclasses import dataclass

from action_hub.errors import SetupError
from action_hub.results import ResultReader
from action_hub.sources import DownloadPolicy, attachment_source, download_source

LITE_STREAM_SINCE = (6, 2)
_VERSION = re.compile(r"LookerOutgoingWebhook/(\d{1,6})\.(\d{1,6})", re.IGNORECASE)


def looker_version(user_agent):
    """(major, minor) from Looker's User-Agent, or None for other callers."""
    match = _VERSION.search(user_agent or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def supported_formats(version):
    """Looker before 6.2 cannot stream results; it gets json_detail instead."""
    if version is not None and version < LITE_STREAM_SINCE:
        return ["json_detail"]
    return ["json_detail_lite_stream"]


@dataclass
class ExecuteRequest:
    """One validated execute call, as plain data."""

    admin_params: dict
    form: dict
    action_type: str = "query"
    scheduled_plan: dict | None = None
    attachment: dict | None = None
    webhook_id: str | None = None
    instance_id: str | None = None
    settings: object = None
    run_id: str = ""

    @property
    def hidden_fields(self):
        """Field names hidden in the Look's visualization."""
        query = (self.scheduled_plan or {}).get("query") or {}
        vis = query.get("vis_config") or {}
        return frozenset(vis.get("hidden_fields") or ())

    @property
    def download_url(self):
        return (self.scheduled_plan or {}).get("download_url") or None

    def open_result(self):
        """Start reading the result document: its header now, rows on demand.

        The pushed attachment wins over the download URL when both are present.
        """
        if self.attachment and self.attachment.get("data") is not None:
            source = attachment_source(self.attachment)
        elif self.download_url:
            policy = DownloadPolicy(self.settings.download_hosts)
            timeout = self.settings.download_timeout_seconds
            source = download_source(self.download_url, policy, timeout)
        else:
            msg = (
                "Looker sent no result data: the request has neither an attachment "
                "nor a download URL."
            )
            raise SetupError(msg)
        return ResultReader(source)


class Action:
    """Base class: subclasses set the class attributes and implement `start`."""

    name = ""
    label = ""
    description = ""
    icon_data_uri = ""
    params: list = []

    def definition(self, base_url, version):
        """The entry Looker reads from the hub's action list."""
        return {
            "name": self.name,
            "label": self.label,
            "description": self.description,
            "icon_data_uri": self.icon_data_uri,
            "url": f"{base_url}/actions/{self.name}/execute",
            "form_url": f"{base_url}/actions/{self.name}/form",
            "supported_action_types": ["query"],
            "supported_formats": supported_formats(version),
            "supported_formattings": ["unformatted"],
            "supported_visualization_formattings": ["noapply"],
            "supported_download_settings": ["push", "url"],
            "params": self.params,
            "required_fields": [],
            "uses_oauth": False,
            "delegate_oauth": False,
        }

    def form(self, admin_params, values):
        """The form fields; {"fields": [...], "error": ...} when it cannot be served."""
        raise NotImplementedError

    def start(self, request):
        """Check the request and return a callable that runs it to a RunReport.

        Problems found here (settings, columns) raise SetupError before Looker
        gets any answer; the callable does the slow part.
        """
        raise NotImplementedError
