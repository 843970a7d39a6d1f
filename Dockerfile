# One image for every process of the platform: the web server, the OCPP gateway, the Celery worker
# and beat differ only by their command (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Requirements before the code, so that a change of code reuses the installed layer. Every
# package has a wheel (psycopg's carries its own libpq), so no compiler is needed.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# The collected, hashed and compressed static files are part of the image, served by WhiteNoise.
# The settings refuse to load without a SECRET_KEY when DEBUG is off; this one exists only for
# this build step and is not kept in the image's environment.
ENV STATIC_COLLECTED=true
RUN DEBUG=false SECRET_KEY=collectstatic-at-build-only python manage.py collectstatic --noinput

# The platform runs as an unprivileged user that owns nothing but the uploads folder (pile
# imports wait there between preview and confirmation) and its home (gunicorn's control socket).
RUN useradd --system --uid 10001 --create-home --home-dir /home/chargeops chargeops \
    && mkdir -p /app/media \
    && chown chargeops:chargeops /app/media
USER chargeops

EXPOSE 8000 9000
CMD ["gunicorn", "chargeops.wsgi", "--bind", "0.0.0.0:8000"]
