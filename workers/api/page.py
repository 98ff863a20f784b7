"""The review page: plain server-rendered HTML, a little JavaScript, no build step.

A queue of reels awaiting review (player, captions, script, sources, costs, quality checks,
channel) with approve / reject with a reason / revise with notes, and a channel overview.
Every value is escaped; the page is usable on a phone-sized screen.
"""

from __future__ import annotations

from html import escape
from typing import Any

from workers.api.audience_panel import STYLE as AUDIENCE_STYLE
from workers.api.audience_panel import audience_panel
from workers.api.tokens import Principal
from workers.jobs import JobView
from workflows.contracts import ChannelConfig

AUDIENCE_DAYS = 14  # the views-per-day chart of each channel

STYLE = """
body{font:16px/1.4 system-ui,sans-serif;margin:0;background:#f4f4f6;color:#1b1b1f}
main{max-width:42rem;margin:0 auto;padding:.75rem;overflow-wrap:break-word}
h1{font-size:1.3rem}h2{font-size:1.1rem;margin:.2rem 0}
.card{background:#fff;border-radius:.6rem;padding:.75rem;margin:.75rem 0;
box-shadow:0 1px 3px #0002}
video{width:100%;max-height:70vh;background:#000;border-radius:.4rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}
td,th{text-align:left;padding:.15rem .3rem;border-bottom:1px solid #eee}
.ok{color:#176b2c}.bad{color:#a11}.muted{color:#666;font-size:.85rem}
textarea,input{width:100%;box-sizing:border-box;font:inherit;padding:.4rem;margin:.3rem 0}
button{font:inherit;padding:.55rem .9rem;border:0;border-radius:.4rem;margin:.2rem .2rem 0 0;
color:#fff;min-height:2.75rem}
.approve{background:#176b2c}.reject{background:#a11}.revise{background:#555}
details{margin:.4rem 0}
""" + AUDIENCE_STYLE

SCRIPT = """
async function answer(button, decision) {
  const card = button.closest('[data-reel]'), id = card.dataset.reel;
  const text = decision === 'approve' ? '' : card.querySelector(`.${decision}-text`).value;
  const out = card.querySelector('.result');
  const r = await fetch(`/jobs/${id}/${decision}`, {method: 'POST',
    headers: {'Content-Type': 'application/json'}, body: JSON.stringify({text})});
  const body = await r.json();
  out.textContent = r.ok ? `${body.review.status}` : body.error;
  out.className = 'result ' + (r.ok ? 'ok' : 'bad');
  if (r.ok) card.querySelectorAll('button').forEach(b => b.disabled = true);
}
// Reels arrive while the page is open: it reloads itself every 30 s, unless a person is
// typing a reason or notes or watching a reel.
setInterval(() => {
  if (!document.getElementById('queue')) return;
  const busy = [...document.querySelectorAll('input,textarea')]
    .some(e => e.value || e === document.activeElement)
    || [...document.querySelectorAll('video')].some(v => !v.paused);
  if (!busy) location.reload();
}, 30000);
// login() is async: the form's handler returns false itself, or the browser would also
// submit the form natively and race the reload with a navigation to the login page.
async function login(form) {
  const r = await fetch('/login', {method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({token: form.token.value})});
  if (r.ok) location.reload(); else form.querySelector('.result').textContent = 'unknown token';
}
"""


def _doc(title: str, body: str) -> str:
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            '<meta name=viewport content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main>{body}"
            f"</main><script>{SCRIPT}</script></body></html>")


def login_page() -> str:
    return _doc("monolathe review", """<h1>monolathe review</h1>
<form class=card onsubmit="login(this); return false"><label>API token
<input name=token type=password autocomplete=current-password required></label>
<button class=approve>Sign in</button><div class=result></div></form>""")


def preset_of(config: ChannelConfig) -> dict[str, Any]:
    """What a job may borrow from a channel: its look, voice, visual sources, aspect."""
    sources = ["procedural"] + (["own media"] if config.media_dir else [])
    look = config.look
    return {"name": config.name, "niche": config.niche, "aspect": look.aspect,
            "size": f"{look.width}x{look.height}",
            "look": {"palette": look.palette, "transition": look.transition,
                     "music": look.music_file or look.music, "caption_color": look.caption_color,
                     "highlight_color": look.highlight_color},
            "voice": {"backend": config.voice.backend, "model": config.voice.model,
                      "speed": config.voice.speed},
            "sources": sources, "platforms": config.platforms,
            "review": config.review.mode}


def _when(iso: str) -> str:
    return escape(iso[:16].replace("T", " ") + " UTC") if iso else ""


def _rows(pairs: list[tuple[str, str]]) -> str:
    return "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in pairs)


def _reel_card(job: JobView, manifest: dict[str, Any] | BaseException, operator: bool) -> str:
    rid = escape(job.id, quote=True)
    if isinstance(manifest, BaseException):
        return f"<section class=card><h2>{escape(job.id)}</h2><p class=bad>{escape(str(manifest))}"
    script = manifest.get("script") or {}
    review = manifest.get("review") or {}
    scenes = script.get("scenes") or []
    captions = "".join(f"<li>{escape(s['text'])}</li>" for s in scenes)
    clips = _rows([(f"scene {i + 1}", c.get("source") or c.get("kind", ""))
                   for i, c in enumerate(manifest.get("clips") or [])])
    costs = _rows([(f"{c['stage']} ({c['backend']})", f"${c['usd']:.5f}")
                   for c in manifest.get("costs") or []]
                  + [("total", f"${manifest.get('actual_usd', 0):.5f}"),
                     ("estimate", f"${manifest.get('estimate_usd', 0):.5f}")])
    checks = (manifest.get("quality") or {}).get("checks") or {}
    quality = "".join(f"<tr><td>{escape(k)}</td><td class={'ok' if v == 'ok' else 'bad'}>"
                      f"{escape(v)}</td></tr>" for k, v in checks.items())
    actions = ""
    if operator:
        actions = f"""
<button class=approve onclick="answer(this,'approve')">Approve</button>
<details><summary>Reject</summary><input class=reject-text placeholder="reason (required)">
<button class=reject onclick="answer(this,'reject')">Reject</button></details>
<details><summary>Revise ({review.get('revisions', 0)} of {review.get('max_revisions', 0)})
</summary><textarea class=revise-text rows=3
placeholder="notes: title: ..., hook: ..., fact: ..., drop: 2"></textarea>
<button class=revise onclick="answer(this,'revise')">Revise</button></details>"""
    return f"""<section class=card data-reel="{rid}">
<h2>{escape(script.get('title') or job.topic)}</h2>
<div class=muted>{escape(job.id)} · channel {escape(job.channel)} · waiting since
{_when(review.get('since', ''))} · answer by {_when(review.get('deadline', ''))}</div>
<video controls playsinline preload=metadata poster="/jobs/{rid}/cover"
src="/jobs/{rid}/video"></video>
<details open><summary>Captions</summary><ol>{captions}</ol></details>
<details><summary>Script</summary><p>{escape(script.get('description', ''))}</p>
<p class=muted>{escape(' '.join(script.get('hashtags') or []))}</p></details>
<details><summary>Sources</summary><table>{clips}</table></details>
<details><summary>Costs</summary><table>{costs}</table></details>
<details><summary>Quality checks</summary><table>{quality}</table></details>
{actions}<div class=result role=status></div></section>"""


def _channel_row(status: dict[str, Any], today: dict[str, Any],
                 audience: dict[str, Any] | None) -> str:
    name = status["channel"]
    if not status.get("running") and "paused" not in status:
        state = "not running"
    else:
        state = "killed" if status.get("killed") else "paused" if status.get("paused") \
            else "running" if status.get("running") else status.get("waiting_for", "")
    counts = ", ".join(f"{n} {s}" for s, n in sorted(today["by_status"].items())) or "none"
    budget = status.get("daily_budget_usd")
    spend = f"${today['spend_usd']:.4f}" + (f" of ${budget:.2f}" if budget else "")
    waiting = len(status.get("awaiting_review") or {})
    return (f"<li><b>{escape(name)}</b> · {escape(state)}<br><span class=muted>today:"
            f" {escape(counts)} · spend {escape(spend)} · {waiting} awaiting review</span>"
            f"{audience_panel(audience)}</li>")


def review_page(who: Principal, queue: list[tuple[JobView, Any]],
                channels: list[dict[str, Any]], today: dict[str, dict[str, Any]],
                audience: dict[str, dict[str, Any]] | None = None) -> str:
    """`audience`: each channel's Factory.performance report, for its figures and chart."""
    operator = who.may("operator")
    cards = "".join(_reel_card(job, manifest, operator) for job, manifest in queue) or \
        "<p class=muted>No reel is waiting for review.</p>"
    audience = audience or {}
    rows = "".join(_channel_row(s, today[s["channel"]], audience.get(s["channel"]))
                   for s in channels)
    return _doc("monolathe review", f"""<h1 id=queue>Review <span class=muted>({len(queue)} waiting;
signed in as {escape(who.name)}, {escape(who.role)})</span></h1>{cards}
<section class=card><h2>Channels</h2><ul>{rows}</ul></section>""")
