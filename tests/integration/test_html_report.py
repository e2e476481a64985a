"""The printable HTML report renders in a real browser: headless Chromium takes a screenshot."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from cloudlab.grading.api import Text
from cloudlab.grading.score import CheckResult, Score
from cloudlab.reporting.html import points_by_skill, render_html

SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def sample_score() -> Score:
    def result(
        check_id: str, points: int, earned: int, skills: tuple[str, ...], zh: str, hidden: bool = False
    ) -> CheckResult:
        outcome = "pass" if earned == points else "fail"
        reason = None if outcome == "pass" else Text("收到 HTTP 503", "got HTTP 503")
        return CheckResult(check_id, points, earned, outcome, Text(zh, zh), skills, reason, hidden=hidden)

    return Score(
        lab="alice",
        scenario="lb-haproxy",
        pass_mark=60,
        checks=(
            result("haproxy-running", 2, 2, ("2.2.3",), "lb1 上 HAProxy 正在运行"),
            result("lb-round-robin", 3, 0, ("1.2.6", "2.2.3"), "请求被轮流分发到 web1 和 web2"),
            result("stats-requires-auth", 2, 2, ("1.2.6",), "统计页面未提供密码时拒绝访问"),
            result("lb-failover", 3, 3, ("2.2.3",), "web1 停止后请求仍然成功", hidden=True),
        ),
    )


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("chromium is not installed; 'make test' installs it (scripts/bootstrap.sh)", pytrace=False)
    return found


def screenshot(html: Path, png: Path, profile: Path) -> None:
    subprocess.run(
        [
            chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--hide-scrollbars", "--window-size=1000,1100",
            f"--screenshot={png}", html.as_uri(),
        ],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize(("lang", "mode"), [("zh", "practice"), ("en", "exam")])
def test_html_report_renders_in_chromium(tmp_path: Path, lang: str, mode: str) -> None:
    score = sample_score()
    page = render_html(
        score, lang=lang, mode=mode, title="使用 HAProxy 配置负载均衡", version="1.0.0", candidate="张三",
        graded_at="2026-11-28T10:00:00+00:00", evidence=None,
    )  # fmt: skip
    assert "<svg" in page and "2.2.3" in page
    if mode == "exam":
        assert "lb-failover" not in page  # hidden checks appear only as a total
    html = tmp_path / "report.html"
    html.write_text(page, encoding="utf-8")
    SHOTS.mkdir(parents=True, exist_ok=True)
    png = SHOTS / f"report-{lang}-{mode}.png"
    screenshot(html, png, tmp_path / "profile")
    image = Image.open(png).convert("RGB")
    assert image.size == (1000, 1100)
    colours = image.getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 50, "the screenshot is (nearly) blank"
    non_white = sum(count for count, rgb in colours if rgb != (255, 255, 255))
    assert non_white > 0.02 * image.size[0] * image.size[1], "almost nothing was drawn"
    greens = sum(count for count, (r, g, b) in colours if g > 140 and r < 80 and b < 110)
    assert greens > 500, "the skill chart's bars are missing"


def test_points_by_skill_counts_multi_skill_checks_toward_each() -> None:
    skills = {s.code: (s.earned, s.points) for s in points_by_skill(sample_score(), "zh")}
    assert skills == {"1.2.6": (2, 5), "2.2.3": (5, 8)}
