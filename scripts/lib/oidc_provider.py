#!/usr/bin/env python3
"""A small OAuth 2.0 token endpoint for the tests' OIDC listener (KIP-768): client credentials in, RS256 JWTs out.

Usage:
  oidc_provider.py keygen DIR     an RSA-2048 key (DIR/oidc-key.json) and its public JWKS (DIR/jwks.json), which
                                  the broker's OAuthBearerValidatorCallbackHandler reads as a file
  oidc_provider.py serve --dir DIR --port PORT --cert PEM --key PEM [--client-id ID --client-secret SECRET]
                                  HTTPS on 127.0.0.1:PORT:
                                    POST /token[?lifetime=SECONDS]  grant_type=client_credentials, HTTP Basic auth of
                                        the client id and secret (RFC 6749 §2.3.1, §4.4); answers
                                        {"access_token", "token_type": "Bearer", "expires_in"} (RFC 6749 §5.1), the
                                        token an RS256 JWS (RFC 7515) with iss, aud, sub (the client id), iat, exp,
                                        scope (when asked for);
                                        wrong credentials get 401 {"error": "invalid_client"}
                                    GET /jwks                       the public key set (RFC 7517)
                                  Each token issued is one line of DIR/oidc-tokens.log: "ISSUED_AT_MS LIFETIME_S SUB".

Standard library only (the RSA arithmetic is Python's pow; keys are made here, not by openssl, so that the JWKS
needs no DER parsing). scripts/kafka starts it with the single node and stops it with the broker.
"""
import argparse
import base64
import hashlib
import http.server
import json
import os
import secrets
import ssl
import sys
import threading
import time
import urllib.parse

KID = "kafkio-test-key"
# RFC 8017 §9.2 note 1: the DER DigestInfo prefix of SHA-256.
SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_bytes(n: int) -> bytes:
    return n.to_bytes((n.bit_length() + 7) // 8, "big")


def is_probable_prime(n: int, rounds: int = 40) -> bool:
    if n < 2:
        return False
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def random_prime(bits: int) -> int:
    while True:
        candidate = secrets.randbits(bits) | (3 << (bits - 2)) | 1  # top two bits set: n has exactly 2*bits bits
        if is_probable_prime(candidate):
            return candidate


def keygen(directory: str) -> None:
    e = 65537
    while True:
        p, q = random_prime(1024), random_prime(1024)
        phi = (p - 1) * (q - 1)
        if p != q and phi % e:
            break
    n, d = p * q, pow(e, -1, phi)
    with open(os.path.join(directory, "oidc-key.json"), "w") as f:
        json.dump({"n": n, "e": e, "d": d}, f)
    os.chmod(os.path.join(directory, "oidc-key.json"), 0o600)
    jwks = {"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": KID,
                      "n": b64url(int_bytes(n)), "e": b64url(int_bytes(e))}]}
    with open(os.path.join(directory, "jwks.json"), "w") as f:
        json.dump(jwks, f)


def sign_rs256(key: dict, message: bytes) -> bytes:
    """RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2.1, §9.2)."""
    k = (key["n"].bit_length() + 7) // 8
    t = SHA256_PREFIX + hashlib.sha256(message).digest()
    em = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    return pow(int.from_bytes(em, "big"), key["d"], key["n"]).to_bytes(k, "big")


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "kafkio-test-oidc"

    def log_message(self, fmt, *args):  # quiet: the tests read oidc-tokens.log
        pass

    def reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if urllib.parse.urlsplit(self.path).path == "/jwks":
            with open(os.path.join(self.server.directory, "jwks.json")) as f:
                return self.reply(200, json.load(f))
        self.reply(404, {"error": "not_found"})

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        if url.path != "/token":
            return self.reply(404, {"error": "not_found"})
        if form.get("grant_type") != ["client_credentials"]:
            return self.reply(400, {"error": "unsupported_grant_type"})
        auth = self.headers.get("Authorization", "")
        try:
            user, _, password = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
            user, password = urllib.parse.unquote_plus(user), urllib.parse.unquote_plus(password)
        except ValueError:
            user = password = None
        if not auth.startswith("Basic ") or (user, password) != (self.server.client_id, self.server.client_secret):
            return self.reply(401, {"error": "invalid_client"})
        lifetime = int(urllib.parse.parse_qs(url.query).get("lifetime", ["3600"])[0])
        now = time.time()
        claims = {"iss": "kafkio-test-oidc", "aud": "kafkio-test-cluster", "sub": user, "iat": int(now),
                  "exp": int(now) + lifetime}
        if form.get("scope"):  # Kafka's validator refuses an empty scope claim
            claims["scope"] = form["scope"][0]
        header = {"alg": "RS256", "typ": "JWT", "kid": KID}
        signing_input = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())).encode()
        token = signing_input.decode() + "." + b64url(sign_rs256(self.server.key, signing_input))
        with self.server.log_lock, open(os.path.join(self.server.directory, "oidc-tokens.log"), "a") as f:
            f.write(f"{int(now * 1000)} {lifetime} {user}\n")
        self.reply(200, {"access_token": token, "token_type": "Bearer", "expires_in": lifetime})


def serve(args) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.directory = args.dir
    server.client_id, server.client_secret = args.client_id, args.client_secret
    server.log_lock = threading.Lock()
    with open(os.path.join(args.dir, "oidc-key.json")) as f:
        server.key = json.load(f)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    k = sub.add_parser("keygen")
    k.add_argument("dir")
    s = sub.add_parser("serve")
    s.add_argument("--dir", required=True)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--cert", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--client-id", default="kafkio-client")
    s.add_argument("--client-secret", default="kafkio-client-secret")
    args = parser.parse_args()
    if args.command == "keygen":
        keygen(args.dir)
    else:
        try:
            serve(args)
        except KeyboardInterrupt:
            sys.exit(0)


if __name__ == "__main__":
    main()
