FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md gunicorn.conf.py ./
COPY action_hub ./action_hub
COPY actions ./actions
COPY tools ./tools
RUN pip install --no-cache-dir .
ENV PORT=8080
EXPOSE 8080
USER nobody
CMD ["gunicorn", "-c", "gunicorn.conf.py", "action_hub.wsgi:app"]
