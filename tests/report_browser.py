"""Headless Chromium for the report's layout tests and screenshots (Debian's ``chromium``).

Chromium's headless window is at least 500 px wide, so a page is measured inside an iframe of the
wanted width: the iframe is the page's viewport (its media queries and ``width=device-width`` follow
it). A copy of the page gets a measuring script that posts its results to the outer page, which
Chromium's ``--dump-dom`` then prints.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

__all__ = ["browser", "measure", "screenshot"]

# For every visible table cell: the widest word (split at spaces and after hyphens) of its own text (nested tables are measured as their
# own cells) in its own font, against the cell's content width.
_MEASURE = r"""
<script>
(function () {
  var out = {viewport: innerWidth, page: document.documentElement.scrollWidth, cells: 0, narrow: []};
  var ctx = document.createElement('canvas').getContext('2d');
  document.querySelectorAll('td, th').forEach(function (c) {
    var box = c.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) return;  // hidden (a closed details block, a phone's thead)
    out.cells++;
    var cs = getComputedStyle(c);
    var inner = c.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    var walker = document.createTreeWalker(c, NodeFilter.SHOW_TEXT);
    var longest = 0, word = '';
    for (var n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.parentElement.closest('td, th') !== c) continue;
      var ps = getComputedStyle(n.parentElement);
      if (ps.display === 'none') continue;
      ctx.font = ps.fontStyle + ' ' + ps.fontWeight + ' ' + ps.fontSize + ' ' + ps.fontFamily;
      n.textContent.split(/\s+|(?<=-)/).forEach(function (w) {  // a line may break after a hyphen
        var m = ctx.measureText(w).width;
        if (m > longest) { longest = m; word = w; }
      });
    }
    if (longest > inner + 1) out.narrow.push({word: word, cell: Math.round(inner), needs: Math.round(longest)});
  });
  parent.postMessage(JSON.stringify(out), '*');
})();
</script>
"""

_OUTER = """<!DOCTYPE html><html><body style="margin:0"><pre id="result">pending</pre>
<iframe src="{src}" width="{width}" height="{height}" style="border:0;display:block"></iframe>
<script>addEventListener('message', function (e) {{ document.getElementById('result').textContent = e.data; }});</script>
</body></html>"""

_SHOT = """<!DOCTYPE html><html><body style="margin:0">
<iframe src="{src}" width="{width}" height="{height}" style="border:0;display:block"></iframe></body></html>"""


def browser() -> str | None:
    """The path of a Chromium (or Chrome) executable, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if path := shutil.which(name):
            return path
    return None


def _run(args: list[str], timeout: float = 120) -> str:
    exe = browser()
    if exe is None:
        raise RuntimeError("no chromium found")
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--mute-audio",
           "--no-first-run", "--disable-extensions", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False).stdout


def measure(page: Path, width: int, workdir: Path, height: int = 900) -> dict:
    """Lay ``page`` out at ``width`` px: viewport and page widths, and the table cells narrower than a word."""
    workdir.mkdir(parents=True, exist_ok=True)
    copy = workdir / f"measured_{width}.html"
    copy.write_text(page.read_text(encoding="utf-8").replace("</body>", _MEASURE + "</body>"), encoding="utf-8")
    outer = workdir / f"outer_{width}.html"
    outer.write_text(_OUTER.format(src=copy.name, width=width, height=height), encoding="utf-8")
    dom = _run([f"--window-size={max(width, 500) + 20},{height + 100}", "--virtual-time-budget=10000",
                "--dump-dom", outer.resolve().as_uri()])
    found = re.search(r'<pre id="result">([^<]*)</pre>', dom)
    if not found or found.group(1) == "pending":
        raise RuntimeError(f"the page did not report its layout at {width} px")
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def screenshot(page: Path, width: int, height: int, out: Path, anchor: str = "") -> Path:
    """A PNG of ``page`` (scrolled to ``#anchor`` if given) in a viewport ``width`` x ``height`` px."""
    from PIL import Image

    outer = page.parent / f"shot_{width}.html"
    outer.write_text(_SHOT.format(src=page.name + (f"#{anchor}" if anchor else ""), width=width, height=height),
                     encoding="utf-8")
    raw = out.with_suffix(".raw.png")
    _run([f"--window-size={max(width, 500)},{height}", "--virtual-time-budget=10000",
          f"--screenshot={raw}", outer.resolve().as_uri()])
    with Image.open(raw) as image:
        image.crop((0, 0, width, height)).save(out)
    raw.unlink()
    outer.unlink()
    return out
