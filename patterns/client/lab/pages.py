"""App pages open in a real browser, driven as their users would leave them: opened on the current
release under a reload policy, then read for the model each one prices with. Used by the bench and
by the comparison (through `ClientSystem.open_pages`); the browser is the caller's (Playwright).
"""

from __future__ import annotations

READY = "window.archlabClient && window.archlabClient.firstPredictionMs !== null"
STATE = "() => ({...window.archlabClient, predict: undefined, timeOrigin: performance.timeOrigin})"
ASK = "([house, times]) => Array.from({length: times}, () => window.archlabClient.predict(house))"
POLICIES = ("auto", "prompt")  # reload by itself on a new release (`?reload=auto`), or only show the prompt


def policy_path(policy: str) -> str:
    return "/?reload=auto" if policy == "auto" else "/"


class OpenPages:
    """Pages of the app at `url`, each in a browser context of its own (nothing shared, nothing cached)."""

    def __init__(self, browser, url: str) -> None:
        self.browser, self.url = browser, url
        self.pages: list[tuple[str, str, object]] = []  # (kind, policy, page)

    def visit(self, policy: str = "prompt", kind: str | None = None):
        """A new visitor under `policy`, once its first price is on screen."""
        page = self.browser.new_context().new_page()
        page.set_default_timeout(30_000)
        page.goto(self.url + policy_path(policy))
        page.wait_for_function(READY)
        self.pages.append((kind or f"open before, {policy}", policy, page))
        return page

    def open(self, count: int, kind: str = "open before") -> None:
        """`count` visitors now, alternating the policies."""
        for i in range(count):
            policy = POLICIES[i % len(POLICIES)]
            self.visit(policy, f"{kind}, {policy}")

    def first_price_ms(self) -> list[float]:
        """Each open page's cold load: milliseconds from its navigation to its first price on screen
        (a context of its own, nothing cached: the bundle, model included, fetched and run)."""
        return [page.evaluate("window.archlabClient.firstPredictionMs") for _, _, page in self.pages]

    @staticmethod
    def state(page) -> dict | None:
        from playwright.sync_api import Error

        try:
            return page.evaluate(STATE)
        except Error:  # reloading at this very moment
            return None

    def outcomes(self, released: float, version: str) -> list[dict]:
        """Each page after a release at `released` (epoch s): its model, and seconds from the release
        until it had `version` (its first price with the new release) or showed the prompt."""
        found = []
        for kind, policy, page in self.pages:
            state = self.state(page)
            outcome = {"kind": kind, "policy": policy, "model_version": state and state["modelVersion"]}
            if state and state["modelVersion"] == version:
                outcome["had_new_after_s"] = state["timeOrigin"] / 1000 + state["firstPredictionMs"] / 1000 - released
            if state and state["updateShownAt"] is not None:
                outcome["prompt_after_s"] = state["updateShownAt"] / 1000 - released
            found.append(outcome)
        return found

    def answers_from(self, version: str, house: dict, times: int) -> list[dict]:
        """`times` prices of `house` asked of every page; each page still on `version`, and how many
        it gave."""
        given = []
        for kind, _, page in self.pages:
            state = self.state(page)
            if state and state["modelVersion"] == version:
                given.append({"kind": kind, "answers": len(page.evaluate(ASK, [house, times]))})
        return given

    @staticmethod
    def png(page) -> bytes:
        """What the page shows now, as its user sees it."""
        return page.screenshot()

    def close(self) -> None:
        for _, _, page in self.pages:
            page.context.close()
        self.pages.clear()

