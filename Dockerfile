FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Collect static files at build time; the key only satisfies settings here.
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput

RUN useradd --system --create-home trialportal
USER trialportal

EXPOSE 8000
CMD ["gunicorn", "--config", "trialportal/gunicorn.conf.py", "trialportal.wsgi"]
