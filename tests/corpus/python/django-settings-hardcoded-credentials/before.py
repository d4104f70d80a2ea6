"""Django settings for the storefront project."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["shop.example.com", "www.shop.example.com"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "storages",
    "shop",
]

DB_NAME = "storefront"
DB_USER = "storefront"
DB_PASSWORD = ""
DB_HOST = os.environ.get("DB_HOST", "localhost")

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DB_NAME,
        "USER": DB_USER,
        "PASSWORD": os.environ.get("DB_PASSWORD", DB_PASSWORD),
        "HOST": DB_HOST,
        "PORT": 5432,
    }
}

DEFAULT_FILE_STORAGE = "storages.backends.s3boto3.S3Boto3Storage"
AWS_STORAGE_BUCKET_NAME = "storefront-media"
AWS_S3_REGION_NAME = "eu-west-1"
AWS_QUERYSTRING_AUTH = False

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_TZ = True
