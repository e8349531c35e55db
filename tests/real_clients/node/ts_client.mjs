// The MCP TypeScript SDK (@modelcontextprotocol/sdk, pinned in package.json) as a test oracle.
//
// Reads one JSON job on stdin and prints exactly one JSON line on stdout:
//   job:    {url, cert?, key?, pfx?, passphrase_env?, ca?: [files], ca_mode?: "add"|"replace",
//            client_metadata_url?, request_tls?: bool, timeout_ms}
//   result: {reached: "authorization_url"|"connected"|"error", authorization_url?, stage,
//            error: {name, message, code?, cause: {name, code, message, cause?}} | null,
//            requests: [{method, url, status?, content_type?, location?, error?, pending?}],
//            transport_errors: [{name, message, cause?}], versions: {...}}
//
// What it does is what a plain Node program on the SDK does to go through a corporate proxy
// with a client certificate:
//   setGlobalDispatcher(new EnvHttpProxyAgent({connect: {cert, key, passphrase, ca}}))  (undici)
//   new Client(...).connect(new StreamableHTTPClientTransport(url, {authProvider}))
// and nothing else: the SDK keeps its default `fetch` (Node's global fetch, which uses the
// global dispatcher), its own discovery, registration and redirect code. The only addition is
// the transport's documented `fetch` option set to a wrapper that calls that same global fetch
// and records each request (method, URL, status or network error); the SDK hands the same
// function to its auth code, so every request the SDK makes is recorded, and the code paths are
// those without the option (createFetchWithInit returns the function as is, and
// `this._fetch ?? fetch` picks it where `fetch` would be picked).
//
// Options, each only when the job gives it:
//   cert/key: files read as they are (Buffer), like `fs.readFileSync(path)` in a program; a
//     typical program does not convert DER, so neither does this driver.
//   pfx: a PKCS#12 file, given to undici as `connect.pfx` (Node tls's own option for it).
//   passphrase_env: the name of the environment variable holding the key/pfx passphrase.
//   ca: files of extra trust anchors. undici's `connect.ca` (Node tls `ca`) REPLACES Node's
//     default roots; a program that wants to *add* a corporate CA writes
//     `ca: [...tls.rootCertificates, ...extra]`, which is what ca_mode "add" (the default)
//     does. Note this idiom drops NODE_EXTRA_CA_CERTS (tls.rootCertificates is only Node's
//     bundled Mozilla list); ca_mode "replace" passes only the files. The other route to extra
//     trust is NODE_EXTRA_CA_CERTS in the environment, with no `ca` in the job.
//   request_tls: also give the same TLS options as undici's `requestTls` (the options undici's
//     ProxyAgent uses for the TLS session *inside* a CONNECT tunnel; `connect` alone does not
//     reach it). Off by default: the brief's program passes `connect` only.
//   client_metadata_url: the provider offers this Client ID Metadata Document URL.
//
// The OAuth provider is in memory; redirectToAuthorization(url) records the URL and returns, so
// the SDK's auth() returns 'REDIRECT', the transport throws UnauthorizedError and connect()
// rejects: that is reached = "authorization_url". Everything is bounded by timeout_ms.

import { readFileSync } from 'node:fs';
import tls from 'node:tls';

const started = Date.now();
const requests = [];
const transportErrors = [];
let printed = false;
let stage = 'setup';
let authorizationUrl;

function describe(err, depth = 0) {
    if (err === undefined || err === null) return null;
    if (typeof err !== 'object') return { name: typeof err, message: String(err) };
    const out = { name: err.name ?? err.constructor?.name ?? 'Error', message: String(err.message ?? err) };
    if (Array.isArray(err.issues)) {
        // a ZodError: its message is the whole issue list as pretty JSON; keep the gist
        out.issues = err.issues.slice(0, 10).map(i => ({ path: (i.path ?? []).join('.'), message: i.message }));
        out.message = out.issues.map(i => `${i.path || '(root)'}: ${i.message}`).join('; ');
    }
    if (out.message.length > 2000) out.message = out.message.slice(0, 2000) + '...';
    if (err.code !== undefined) out.code = err.code;
    if (depth < 4 && err.cause !== undefined) out.cause = describe(err.cause, depth + 1);
    else if (depth < 4 && Array.isArray(err.errors) && err.errors.length) out.cause = describe(err.errors[0], depth + 1);
    return out;
}

function finish(reached, error) {
    if (printed) return;
    printed = true;
    for (const entry of requests) {
        if (entry.status === undefined && entry.error === undefined) entry.pending = true;
    }
    const result = {
        reached,
        stage,
        ...(authorizationUrl ? { authorization_url: authorizationUrl } : {}),
        error: error ? describe(error) : null,
        requests,
        transport_errors: transportErrors,
        elapsed_ms: Date.now() - started,
        versions: VERSIONS
    };
    process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0));
    setTimeout(() => process.exit(0), 500).unref();
}

const VERSIONS = { node: process.versions.node, node_bundled_undici: process.versions.undici };
for (const [key, pkg] of [['sdk', '@modelcontextprotocol/sdk'], ['undici', 'undici']]) {
    try {
        // read directly: the SDK's exports map does not export its package.json
        const file = new URL(`./node_modules/${pkg}/package.json`, import.meta.url);
        VERSIONS[key] = JSON.parse(readFileSync(file, 'utf8')).version;
    } catch { /* not installed beside this file */ }
}

process.on('uncaughtException', err => finish('error', err));
process.on('unhandledRejection', err => finish('error', err));

async function readStdin() {
    const chunks = [];
    for await (const chunk of process.stdin) chunks.push(chunk);
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function recordingFetch(url, init) {
    const entry = { method: (init?.method ?? 'GET').toUpperCase(), url: String(url) };
    requests.push(entry);
    return globalThis.fetch(url, init).then(
        response => {
            entry.status = response.status;
            const type = response.headers.get('content-type');
            if (type) entry.content_type = type;
            const location = response.headers.get('location');
            if (location) entry.location = location;
            return response;
        },
        error => {
            entry.error = describe(error);
            throw error;
        }
    );
}

class MemoryProvider {
    constructor(clientMetadataUrl) {
        this._redirect = 'http://127.0.0.1:33418/callback';
        if (clientMetadataUrl) this.clientMetadataUrl = clientMetadataUrl;
        this._client = undefined;
        this._tokens = undefined;
        this._verifier = undefined;
    }
    get redirectUrl() { return this._redirect; }
    get clientMetadata() {
        return {
            client_name: 'netcheck oracle (MCP TypeScript SDK)',
            redirect_uris: [this._redirect],
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            token_endpoint_auth_method: 'none'
        };
    }
    state() { return 'netcheck-oracle-state'; }
    clientInformation() { return this._client; }
    saveClientInformation(info) { this._client = info; }
    tokens() { return this._tokens; }
    saveTokens(tokens) { this._tokens = tokens; }
    redirectToAuthorization(url) { authorizationUrl = String(url); }
    saveCodeVerifier(verifier) { this._verifier = verifier; }
    codeVerifier() { return this._verifier; }
}

async function main() {
    const job = await readStdin();
    const timeoutMs = job.timeout_ms ?? 15000;
    setTimeout(() => {
        const err = new Error(`driver timeout after ${timeoutMs} ms (stage ${stage})`);
        err.name = 'DriverTimeout';
        finish('error', err);
    }, timeoutMs).unref?.();
    // keep the process alive until the timer fires, even if every handle closes
    const keepAlive = setInterval(() => {}, 1 << 30);

    const { EnvHttpProxyAgent, setGlobalDispatcher } = await import('undici');
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
    const { UnauthorizedError } = await import('@modelcontextprotocol/sdk/client/auth.js');

    const tlsOptions = {};
    if (job.cert) tlsOptions.cert = readFileSync(job.cert);
    if (job.key) tlsOptions.key = readFileSync(job.key);
    if (job.pfx) tlsOptions.pfx = readFileSync(job.pfx);
    if (job.passphrase_env) tlsOptions.passphrase = process.env[job.passphrase_env];
    if (job.ca && job.ca.length) {
        const extra = job.ca.map(file => readFileSync(file, 'utf8'));
        tlsOptions.ca = job.ca_mode === 'replace' ? extra : [...tls.rootCertificates, ...extra];
    }
    const options = Object.keys(tlsOptions).length ? { connect: tlsOptions } : {};
    if (job.request_tls && Object.keys(tlsOptions).length) options.requestTls = tlsOptions;
    stage = 'dispatcher';
    setGlobalDispatcher(new EnvHttpProxyAgent(options));

    stage = 'connect';
    const transport = new StreamableHTTPClientTransport(new URL(job.url), {
        authProvider: new MemoryProvider(job.client_metadata_url),
        fetch: recordingFetch
    });
    const client = new Client({ name: 'netcheck-oracle', version: '0.0.0' });
    client.onerror = err => transportErrors.push(describe(err));
    try {
        await client.connect(transport);
        stage = 'connected';
        finish('connected', null);
    } catch (err) {
        if (authorizationUrl && err instanceof UnauthorizedError) {
            stage = 'redirect';
            finish('authorization_url', null);
        } else {
            finish('error', err);
        }
    } finally {
        clearInterval(keepAlive);
    }
}

main().catch(err => finish('error', err));
