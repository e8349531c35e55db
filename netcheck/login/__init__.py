"""``netcheck login``: the whole OAuth login, for real, through the user's network path.

The only mode with side effects. After discovery (the check's own steps), in flow order:

- ``client_registration``: a real registration (deleted again at the end through RFC 7592
  where the server offers it), or the pre-registered client id;
- ``authorization_endpoint``: the authorization request as the client builds it, sent once
  through every hop (a refused redirect_uri shows here), then opened in the user's browser
  (hop ``browser``);
- ``callback``: the client's loopback listener, for real, and what the browser brings back
  (hop ``callback_received``: state, ``iss``, an error), bounded by ``--callback-wait``;
- ``token_endpoint``: the code exchange;
- ``authorized_request``: the MCP server called with the token (initialize, tools/list);
- ``token_refresh``: the refresh grant; ``token_revocation``: RFC 7009, where offered.

Every request goes through the hop pipeline. The code, the verifier and the tokens stay in
memory (:mod:`netcheck.login.tokens`) and are redacted from every output by construction.
"""
