FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DATA_DIR=/data
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --system --home /app outagewatch && mkdir -p /data && chown outagewatch /data \
 && SECRET_KEY=build-only python manage.py collectstatic --noinput -v0
USER outagewatch
EXPOSE 8000
# granian: half the CPU per report of gunicorn's sync worker (docs/scaling.md).
CMD ["granian", "--interface", "wsgi", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--blocking-threads", "2", "--respawn-failed-workers", "outagewatch.wsgi:application"]
