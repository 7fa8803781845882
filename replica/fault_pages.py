"""What a faulted response looks like: error pages, Cloudflare-like challenges, broken bodies."""

from __future__ import annotations

from replica.site import HTML_TYPE, JSON_TYPE, Response

CF_HEADERS = (("Server", "cloudflare"), ("CF-RAY", "7d2f1c0e9a1b2c3d-TPE"))

CHALLENGE_HTML = """<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<meta name="robots" content="noindex,nofollow">
<meta http-equiv="refresh" content="390"></head><body class="no-js"><div class="main-wrapper" role="main">
<div class="main-content"><h1 class="zone-name-title h1">join.gov.tw</h1>
<h2 id="challenge-running" class="h2">Checking if the site connection is secure</h2>
<noscript><div id="challenge-error-title">Enable JavaScript and cookies to continue</div></noscript>
<div id="challenge-body-text" class="core-msg spacer">
join.gov.tw needs to review the security of your connection before proceeding.</div>
</div></div><script>(function(){window._cf_chl_opt={cvId:'3',cZone:'join.gov.tw',cType:'managed'};}());</script>
</body></html>
"""


def server_error() -> Response:
    return Response(
        500,
        HTML_TYPE,
        b"<html><head><title>500 Internal Server Error</title></head>"
        b"<body><h1>Internal Server Error</h1></body></html>",
    )


def unavailable(roll: float) -> Response:
    """Cloudflare's 503: sometimes with a JSON body that parses, sometimes an HTML page."""
    if roll < 0.5:
        return Response(
            503, JSON_TYPE, b'{"success":false,"message":"Service Temporarily Unavailable"}', CF_HEADERS
        )
    return Response(
        503,
        HTML_TYPE,
        b"<html><head><title>503 Service Temporarily Unavailable</title></head>"
        b"<body><center><h1>503 Service Temporarily Unavailable</h1></center>"
        b"<hr><center>cloudflare</center></body></html>",
        CF_HEADERS,
    )


def too_many_requests() -> Response:
    return Response(
        429,
        HTML_TYPE,
        b"<html><body><h1>429 Too Many Requests</h1></body></html>",
        (("Retry-After", "1"), *CF_HEADERS),
    )


def challenge(roll: float) -> Response:
    status = 200 if roll < 0.5 else 503
    return Response(status, HTML_TYPE, CHALLENGE_HTML.encode(), (("cf-mitigated", "challenge"), *CF_HEADERS))


def malformed(resp: Response) -> Response:
    """JSON with a syntax error; HTML whose embedded JSON is broken and whose markup is cut off."""
    body = resp.body
    if resp.content_type.startswith("application/json"):
        broken = body.replace(b'":', b'"=', 1)
        if broken == body:  # an empty array or object: still make it invalid
            broken = body[:-1] + b",}"
        return Response(resp.status, resp.content_type, broken, resp.headers)
    text = body.decode().replace('":', '"=', 1)
    cut = text[: max(1, len(text) * 3 // 5)]  # whole characters: broken markup, still valid UTF-8
    return Response(resp.status, resp.content_type, (cut + '<div class="').encode(), resp.headers)


def truncated_body(body: bytes) -> bytes:
    return body[: max(1, len(body) * 2 // 5)]
