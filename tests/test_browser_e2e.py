"""End to end in a real headless browser (Debian chromium driven by selenium through Debian's chromedriver):
the whole stack as `mishu up` starts it — API (uvicorn) and pages (streamlit) as child processes started by
``mishu.launcher.start_stack`` with the launcher's environments, over a real index of three shipped laws and
a real accounts file.

The tests sign in through the login form before they use any page: a deep link to /admin shows the login,
the admin then sees the index summary, asks a question on the chat page and sees a 招標期限標準 citation
(screenshot kept in test-artifacts/chat_e2e.png); a staff member's navigation has no admin pages.

Without chromium and chromedriver the tests are skipped, except when ``MISHU_REQUIRE_BROWSER=1`` (CI sets it):
then they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest_ui import ROOT, UI_USERS, free_port, make_data_dir, make_users_file, ui_settings

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists()
                                                else None)
ARTIFACTS = ROOT / "test-artifacts"
QUESTION = "公告金額以上未達查核金額的採購等標期幾天"
CHROME_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
                "--window-size=1280,1600", "--lang=zh-TW"]


def _require_browser() -> None:
    if CHROMIUM and CHROMEDRIVER:
        return
    why = "Debian chromium and chromium-driver are not installed (apt-get install -y chromium chromium-driver)"
    if os.environ.get("MISHU_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{why}; MISHU_REQUIRE_BROWSER=1 requires the browser test to run")
    pytest.skip(why)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    _require_browser()
    from mishu.launcher import api_env, generate_keys, listen_for, start_stack, ui_env

    settings = ui_settings(make_data_dir(tmp_path_factory.mktemp("ui-browser") / "data"))
    make_users_file(settings.users_file)
    listen = listen_for(settings, "127.0.0.1", free_port(), free_port())
    keys = generate_keys()
    running = start_stack(listen, api_env(settings, keys), ui_env(settings, listen, keys, "e2e-cookie-key-" + "0" * 30),
                          timeout_s=60)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def browser() -> Iterator[Any]:
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager never downloads anything
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        driver.set_page_load_timeout(30)
        yield driver
    finally:
        driver.quit()


def wait_for(driver: Any, condition: Callable[[Any], Any], timeout_s: float, what: str) -> Any:
    from selenium.common.exceptions import TimeoutException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def safe(d: Any) -> Any:
        try:
            return condition(d)
        except WebDriverException:  # the element went away while Streamlit redrew
            return None

    try:
        return WebDriverWait(driver, timeout_s, poll_frequency=0.25).until(safe)
    except TimeoutException:
        raise AssertionError(f"timed out waiting for {what}; page text: {body_text(driver)[:1500]}") from None


def body_text(driver: Any) -> str:
    return str(driver.execute_script("return document.body ? document.body.innerText : ''"))


def sign_in(driver: Any, role: str) -> None:
    from selenium.webdriver.common.by import By

    user, password = UI_USERS[role]
    name_box = wait_for(driver, lambda d: d.find_element(By.CSS_SELECTOR, 'input[aria-label="帳號"]'), 30,
                        "the login form")
    name_box.send_keys(user)
    driver.find_element(By.CSS_SELECTOR, 'input[aria-label="密碼"]').send_keys(password)
    driver.find_element(By.XPATH, "//button[normalize-space(.)='登入']").click()
    wait_for(driver, lambda d: "登入者" in body_text(d), 30, "the signed-in sidebar")


def nav_labels(driver: Any) -> list[str]:
    from selenium.webdriver.common.by import By

    links = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stSidebarNav"] a')
    return [a.text.strip().splitlines()[-1] for a in links if a.text.strip()]  # after the icon's name


def test_admin_signs_in_from_a_deep_link_and_gets_a_cited_answer(stack: Any, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    t0 = time.monotonic()
    # first visit after start is a deep link: the login comes first, no page is shown before it
    browser.get(f"{stack.ui_url}/admin")
    wait_for(browser, lambda d: "登入 mishu 秘書" in body_text(d), 30, "the login form")
    assert "檢索片段" not in body_text(browser) and "Page not found" not in body_text(browser)
    sign_in(browser, "admin")
    assert set(nav_labels(browser)) == {"同仁問答", "諮詢專線", "知識庫管理", "帳號管理", "變更密碼"}

    browser.get(f"{stack.ui_url}/admin")  # the same browser session comes back signed in (cookie)
    wait_for(browser, lambda d: "檢索片段" in body_text(d), 30, "the documents summary on /admin")
    text = body_text(browser)
    assert "知識庫管理" in text and "Page not found" not in text
    assert re.search(r"現行文件\s+3\s", text), text[:600]  # the three indexed laws

    browser.get(stack.ui_url)
    box = wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, 'textarea[data-testid="stChatInputTextArea"]'),
                   30, "the chat input")
    box.send_keys(QUESTION)
    wait_for(browser, lambda d: box.get_attribute("value"), 5, "the typed question")
    box.send_keys(Keys.ENTER)

    def citation(d: Any) -> str:
        summaries = d.find_elements(By.CSS_SELECTOR, '[data-testid="stExpander"] summary')
        return "\n".join(s.text for s in summaries if "招標期限標準" in s.text)

    found = wait_for(browser, citation, 60, "a 招標期限標準 citation")
    assert "招標期限標準第2條" in found and "修正" in found  # the citation shows its amended date
    text = body_text(browser)
    assert QUESTION in text
    assert "十四日" in text or "14日" in text

    # open the citation so the screenshot shows the quote, then keep the picture
    next(s for s in browser.find_elements(By.CSS_SELECTOR, '[data-testid="stExpander"] summary')
         if "招標期限標準" in s.text).click()
    wait_for(browser, lambda d: "載入全文" in body_text(d), 10, "the opened citation")
    time.sleep(0.5)
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / "chat_e2e.png"
    assert browser.save_screenshot(str(out))
    assert out.stat().st_size > 10_000
    assert time.monotonic() - t0 < 120


def test_staff_sees_no_admin_page_and_a_wrong_password_is_refused(stack: Any, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    browser.get(stack.ui_url)
    box = wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, 'input[aria-label="帳號"]'), 30, "the login")
    box.send_keys(UI_USERS["staff"][0])
    browser.find_element(By.CSS_SELECTOR, 'input[aria-label="密碼"]').send_keys("Wrong-pass-2024")
    browser.find_element(By.XPATH, "//button[normalize-space(.)='登入']").click()
    wait_for(browser, lambda d: "帳號或密碼錯誤" in body_text(d), 30, "the refusal")

    browser.get(stack.ui_url)
    sign_in(browser, "staff")
    assert set(nav_labels(browser)) == {"同仁問答", "變更密碼"}
    browser.get(f"{stack.ui_url}/admin")
    wait_for(browser, lambda d: "登入者" in body_text(d), 30, "the signed-in page")
    time.sleep(1.0)
    assert "檢索片段" not in body_text(browser) and "上傳與重新索引" not in body_text(browser)


def test_staff_chat_three_turns_with_an_inherited_fact_and_a_correction(stack: Any, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(stack.ui_url)
    sign_in(browser, "staff")

    def ask(question: str, *expected: str) -> str:
        box = wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR,
                                                         'textarea[data-testid="stChatInputTextArea"]'),
                       30, "the chat input")
        box.send_keys(question)
        wait_for(browser, lambda d: box.get_attribute("value"), 5, "the typed question")
        box.send_keys(Keys.ENTER)

        def last_answer(d: Any) -> str | None:
            msgs = d.find_elements(By.CSS_SELECTOR, '[data-testid="stChatMessage"]')
            text = msgs[-1].text if msgs and len(msgs) % 2 == 0 else ""
            return text if all(e in text for e in expected) else None

        return str(wait_for(browser, last_answer, 60, f"an answer with {expected} to {question}"))

    ask("預算250萬元的勞務採購，等標期幾天？", "14日")
    # the second question states no amount or category: both are inherited and the answer says so
    ask("押標金最多可以收多少？", "沿用對話中的案情", "免收", "12萬5,000元")
    # a correction recomputes and says what changed
    ask("不是勞務，是工程", "勞務 → 工程", "應收押標金", "12萬5,000元")
    assert len(browser.find_elements(By.CSS_SELECTOR, '[data-testid="stChatMessage"]')) == 6
