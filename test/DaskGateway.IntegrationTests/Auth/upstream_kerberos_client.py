#!/usr/bin/python3
"""The upstream dask-gateway client's Kerberos authentication, replayed with the library it uses.

dask_gateway is not packaged for Debian, so this repeats what its KerberosAuth (auth.py) and
Gateway._request do, with the same pykerberos calls (python3-kerberos): each request goes out with
the cookies held only; after a 401, once more with "Authorization: Negotiate <token>" for the SPN
HTTP@<host of the URL>, with mutual and sequence flags; then the response must carry
"WWW-Authenticate: Negotiate <token>", which is fed back to GSS-API (verifying the server), else
upstream raises "Kerberos negotiation failed".

Usage: upstream_kerberos_client.py URL [URL ...]   (one session and cookie jar for all URLs)
Prints one JSON object per URL: {"statuses": [...], "body": "...", "negotiation": "..."}.
"""
import http.cookiejar
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

import kerberos

AUTH_REGEX = re.compile(r"(?:.*,)*\s*Negotiate\s*([^,]*),?", re.I)  # as upstream


def pre_request(url):
    _, context = kerberos.authGSSClientInit(
        "HTTP@%s" % urllib.parse.urlsplit(url).hostname,
        gssflags=kerberos.GSS_C_MUTUAL_FLAG | kerberos.GSS_C_SEQUENCE_FLAG,
    )
    kerberos.authGSSClientStep(context, "")
    return {"Authorization": "Negotiate " + kerberos.authGSSClientResponse(context)}, context


def post_response(headers, context):
    www_auth = headers.get("www-authenticate", None)
    token = None
    if www_auth:
        match = AUTH_REGEX.search(www_auth)
        if match:
            token = match.group(1)
    if not token:
        raise Exception("Kerberos negotiation failed")
    kerberos.authGSSClientStep(context, token)


def send(opener, url, headers):
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def main(urls):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    for url in urls:
        status, headers, body = send(opener, url, {})
        statuses = [status]
        negotiation = "not needed"
        if status == 401:
            auth_headers, context = pre_request(url)
            status, headers, body = send(opener, url, auth_headers)
            statuses.append(status)
            try:
                post_response(headers, context)
                negotiation = "ok"
            except Exception as error:  # as upstream: any failure here is the client's error
                negotiation = "failed: %s" % error
        print(json.dumps({"statuses": statuses, "body": body, "negotiation": negotiation}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
