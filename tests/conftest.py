"""Test session wiring. Each fixture module has one owner and one job:

- tests/fixtures/sim.py    the Gmail simulator served over HTTP (`sim`, `sim_server`, `gmail_credentials`)
- tests/fixtures/cloud.py  Google's Firestore and Pub/Sub emulators, started once per session
- tests/fixtures/stores.py `store`, parametrized over every Store adapter (sqlite, firestore)
- tests/fixtures/blobs.py  `blobs`, parametrized over every BlobStore adapter (local folder, Cloud Storage)
- tests/fixtures/browser.py headless Chromium (Debian's) driven by Playwright, and the console served on a demo stack
"""

pytest_plugins = [
    "tests.fixtures.sim",
    "tests.fixtures.cloud",
    "tests.fixtures.stores",
    "tests.fixtures.blobs",
    "tests.fixtures.browser",
    "tests.fixtures.secret_manager",
]
