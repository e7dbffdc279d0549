"""How archlab drives Debian's chromium headless (the client bench, the tests' browsers): one set of
flags, so every page is loaded the same way and nothing reaches past loopback on its own."""

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
