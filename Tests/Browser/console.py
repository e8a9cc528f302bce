"""Drives the console in headless Chromium (Debian's chromium and
chromium-driver, Selenium from pip), as a supervisor would: every step is a
click or a typed field in the real pages, nothing posted by hand.

    console.py BASE_URL SHOTS_DIR review RETURN_ID APPROVE_ID
        sign in as sara, open the queue, return RETURN_ID with a comment on
        the respondent's phone, approve APPROVE_ID, sign out
    console.py BASE_URL SHOTS_DIR check RECORD_ID STATE
        sign in, open the record, and require its review state to be STATE

Prints one JSON line with what it saw; exits 1 with the reason otherwise.
Screenshots of each page go to SHOTS_DIR for people to look at.
"""
import json
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1400",
              "--lang=pt-MZ", "--no-first-run", "--disable-extensions"):
        options.add_argument(a)
    options.add_experimental_option("prefs", {"intl.accept_languages": "pt-MZ,pt"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def after(d, click, page_id):
    """Clicks, then waits until the next page is there: a click returns
    before the browser has followed the form's answer."""
    old = d.find_element(By.TAG_NAME, "html")
    click()

    def gone(_):
        # Selenium's staleness_of waits for StaleElementReferenceException
        # alone; Chromium sometimes answers a node of the page just left with
        # "Node with given id does not belong to the document" instead
        # (an unknown error, a WebDriverException): gone all the same. A dead
        # browser also lands here, and the wait for the next page reports it.
        try:
            old.is_enabled()
            return False
        except WebDriverException:
            return True

    WebDriverWait(d, 90).until(gone)
    WebDriverWait(d, 90).until(EC.presence_of_element_located((By.ID, page_id)))


def main():
    base, shots, step = sys.argv[1], sys.argv[2], sys.argv[3]
    d = browser()
    seen = {}
    try:
        d.get(base + "/console")
        # Signed out: the console sends the browser to its sign-in page, in
        # Portuguese (the browser asks for pt-MZ).
        assert d.current_url.endswith("/console/signin"), d.current_url
        seen["signin_button"] = d.find_element(By.ID, "signin").text
        d.save_screenshot(f"{shots}/signin.png")
        d.find_element(By.ID, "user").send_keys("sara")
        d.find_element(By.ID, "password").send_keys("sara-password-1")
        after(d, d.find_element(By.ID, "signin").click, "today")
        assert d.current_url.endswith("/console"), "sign-in failed: " + d.current_url
        cookie = d.get_cookie("recolha_console")
        seen["cookie"] = {"httpOnly": cookie["httpOnly"], "sameSite": cookie.get("sameSite")}
        after(d, d.find_element(By.LINK_TEXT, "English").click, "today")
        seen["today"] = d.find_element(By.ID, "today").text
        d.save_screenshot(f"{shots}/overview.png")
        if step == "review":
            return_id, approve_id = sys.argv[4], sys.argv[5]
            after(d, d.find_element(By.ID, "nav-queue").click, "nav-queue")
            seen["queue"] = [a.get_attribute("href").rsplit("/", 1)[1] for a in d.find_elements(By.CSS_SELECTOR, "a.record")]
            d.save_screenshot(f"{shots}/queue.png")
            after(d, d.find_element(By.CSS_SELECTOR, f"a[href='/console/records/{return_id}']").click, "review-form")
            d.find_element(By.ID, "comment").send_keys("Confirm the phone number with the person in charge")
            Select(d.find_element(By.ID, "field")).select_by_value("respondent_phone")
            d.find_element(By.ID, "field-comment").send_keys("One digit seems missing")
            d.save_screenshot(f"{shots}/record.png")
            after(d, d.find_element(By.ID, "return").click, "notice")
            seen["returned"] = d.find_element(By.ID, "review-state").text
            seen["notice"] = d.find_element(By.ID, "notice").text
            d.save_screenshot(f"{shots}/record-returned.png")
            d.get(base + f"/console/records/{approve_id}")
            after(d, d.find_element(By.ID, "approve").click, "notice")
            seen["approved"] = d.find_element(By.ID, "review-state").text
            after(d, d.find_element(By.ID, "signout").click, "signin")
            assert d.current_url.endswith("/console/signin"), d.current_url
            d.get(base + "/console/queue")
            seen["after_signout"] = d.current_url.rsplit("/", 1)[1]
        elif step == "check":
            record, state = sys.argv[4], sys.argv[5]
            d.get(base + f"/console/records/{record}")
            seen["state"] = d.find_element(By.ID, "review-state").text
            d.save_screenshot(f"{shots}/record-{state.lower()}.png")
            assert seen["state"] == state, f"the console shows {seen['state']}, not {state}"
        print(json.dumps(seen))
    except Exception as e:  # one line saying what went wrong, for the test's message
        try:
            at = d.current_url
        except Exception:  # the browser itself is gone
            at = "?"
        print(json.dumps({"error": f"{type(e).__name__}: {e}"[:1500], "at": at, "seen": seen}))
        sys.exit(1)
    finally:
        d.quit()


if __name__ == "__main__":
    main()
