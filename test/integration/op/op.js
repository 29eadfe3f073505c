// A real OpenID Provider (node-oidc-provider) for mod_auth_oidc's integration
// tests and demo. Loopback only, in-memory storage, scripted dev login pages.
// Configuration comes from environment variables; see README.md.
//
// Prints "READY <issuer>" on stdout once it is listening.

import { X509Certificate, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

import Provider, { errors } from 'oidc-provider';

const env = process.env;
const list = (v) => (v || '').split(',').map((s) => s.trim()).filter(Boolean);

const PORT = parseInt(env.PORT || '0', 10);
if (!PORT) {
  console.error('PORT is required');
  process.exit(2);
}
const ISSUER = env.ISSUER || `http://127.0.0.1:${PORT}`;
const AT_TTL = parseInt(env.AT_TTL || '300', 10);
const ID_TTL = parseInt(env.ID_TTL || '3600', 10);
const RT_ROTATE = env.RT_ROTATE === '1';
const AUDIENCE = env.AUDIENCE || 'api://default';
// A second resource indicator: opaque access tokens that still carry aud=AUDIENCE.
const OPAQUE_RESOURCE = 'urn:mod-auth-oidc:opaque';
const REDIRECT_URIS = list(env.REDIRECT_URIS);
if (!REDIRECT_URIS.length) REDIRECT_URIS.push('http://127.0.0.1:9/cb');
const POST_LOGOUT_URIS = list(env.POST_LOGOUT_URIS);
// Back-Channel Logout 1.0: {"<client_id>": "<backchannel_logout_uri>"} as JSON. At an
// end_session confirmed with logout=yes the OP POSTs a logout token (with sid:
// backchannel_logout_session_required) to the URI of every client of that OP session.
// (oidc-provider 8 has no Front-Channel Logout: it was removed in v8.0.0.)
const BACKCHANNEL_URIS = JSON.parse(env.BACKCHANNEL_LOGOUT_URIS || '{}');
const backchannel = (clientId) => (BACKCHANNEL_URIS[clientId]
  ? { backchannel_logout_uri: BACKCHANNEL_URIS[clientId], backchannel_logout_session_required: true }
  : {});

const API_SCOPES = 'orders:read api:read orders:write';

// ACR_VALUES (test_610's step-up against this OP), e.g. "pwd,mfa": the acr
// values it supports, lowest first. A login yields the first (low) one,
// unless the authorization request's acr_values asks for others it knows:
// then the highest of those (as an OP that makes the user pass a second
// factor would). Every ID Token carries acr and auth_time, and the access
// tokens of a login too (RFC 9470 §4 suggests both for a resource
// server). Unset: none of this, the library's defaults.
const ACR_VALUES = list(env.ACR_VALUES);

// ---- signing key: RSA 2048, RS256. JWKS_FILE (optional) keeps it stable across restarts.
function loadOrMakeJwks() {
  if (env.JWKS_FILE && existsSync(env.JWKS_FILE)) {
    return JSON.parse(readFileSync(env.JWKS_FILE, 'utf8'));
  }
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = {
    ...privateKey.export({ format: 'jwk' }),
    kid: `test-${randomBytes(6).toString('hex')}`,
    use: 'sig',
    alg: 'RS256',
  };
  const jwks = { keys: [jwk] };
  // EC_SIGNING=1 (test_370, FAPI 2.0: PS256/ES256/EdDSA only): an ES256 key
  // beside the RS256 one, for clients with id_token_signed_response_alg ES256
  if (env.EC_SIGNING === '1') {
    const { privateKey: ec } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    jwks.keys.push({
      ...ec.export({ format: 'jwk' }), kid: `test-ec-${randomBytes(6).toString('hex')}`, use: 'sig', alg: 'ES256',
    });
  }
  if (env.JWKS_FILE) writeFileSync(env.JWKS_FILE, JSON.stringify(jwks, null, 2));
  return jwks;
}

// ---- clients (fixed ids/secrets, mirrored in test/integration/pyaoidc/op.py)
// RFC 8693 token exchange (not built into oidc-provider 8.x): registered below.
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const AT_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const rpCommon = {
  grant_types: ['authorization_code', 'refresh_token', TOKEN_EXCHANGE],
  response_types: ['code'],
  redirect_uris: REDIRECT_URIS,
  post_logout_redirect_uris: POST_LOGOUT_URIS,
};
const clients = [
  {
    ...rpCommon,
    client_id: 'rp',
    client_secret: 'rp-secret-0123456789abcdef0123456789abcdef',
    token_endpoint_auth_method: 'client_secret_basic',
    ...backchannel('rp'),
  },
  {
    ...rpCommon,
    client_id: 'rp-post',
    client_secret: 'rp-post-secret-0123456789abcdef0123456',
    token_endpoint_auth_method: 'client_secret_post',
    ...backchannel('rp-post'),
  },
  // legacy response types (AuthOIDCResponseType "code id_token" / id_token,
  // which need response_mode=form_post)
  {
    ...rpCommon,
    client_id: 'rp-legacy',
    client_secret: 'rp-legacy-secret-0123456789abcdef012345',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code', 'implicit', 'refresh_token'],
    response_types: ['code', 'code id_token', 'id_token'],
  },
  {
    client_id: 'api-client',
    client_secret: 'api-secret-0123456789abcdef0123456789abcdef',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: API_SCOPES,
  },
  {
    client_id: 'rs',
    client_secret: 'rs-secret-0123456789abcdef0123456789abcdef',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: [TOKEN_EXCHANGE],
    response_types: [],
    redirect_uris: [],
  },
  // EXTRA_CLIENTS (test_360): a JSON array of client metadata merged over
  // rpCommon, e.g. private_key_jwt clients with inline jwks, or
  // require_pushed_authorization_requests
  ...JSON.parse(env.EXTRA_CLIENTS || '[]').map((c) => ({ ...rpCommon, ...c })),
];

const configuration = {
  clients,
  jwks: loadOrMakeJwks(),
  // Cookies must work on plain http://127.0.0.1: the default SameSite=None on the
  // session cookie is rejected by Chromium without Secure, so use Lax everywhere.
  cookies: {
    keys: [randomBytes(32).toString('hex')],
    long: { httpOnly: true, sameSite: 'lax', signed: true },
    short: { httpOnly: true, sameSite: 'lax', signed: true },
  },
  // Any id logs in (devInteractions: any login, any password).
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims(use) {
        return {
          sub: id,
          email: `${id}@example.com`,
          email_verified: true,
          name: `User ${id}`,
          preferred_username: id,
          // 'biggroups' is in 950 groups (about 12 KB of claim) at userinfo,
          // its ID Token carries the usual two; 'hugegroups' has the 950 in
          // its ID Token too (a 17 KB ID Token, test_340)
          groups: (id === 'biggroups' && use === 'userinfo') || id === 'hugegroups'
            ? Array.from({ length: 950 }, (_, i) => `group-${String(i).padStart(4, '0')}`)
            : ['staff', 'ops'],
          // released with scope `nested` only: Keycloak's nested roles and
          // an Auth0 namespaced (URL-named) claim
          realm_access: { roles: ['admin', 'user'] },
          resource_access: { app: { roles: ['reader'] } },
          'https://example.com/roles': ['editor'],
        };
      },
    };
  },
  // `groups` is released with scope `groups` and also with scope `profile`.
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username', 'groups'],
    groups: ['groups'],
    nested: ['realm_access', 'resource_access', 'https://example.com/roles'],
  },
  responseTypes: ['code', 'code id_token', 'id_token'],
  scopes: ['openid', 'offline_access', 'email', 'profile', 'groups', 'nested',
    ...API_SCOPES.split(' ')],
  // ID tokens carry the scope claims too (not only userinfo).
  conformIdTokenClaims: false,
  pkce: { methods: ['S256'], required: () => true },
  ttl: {
    AccessToken: AT_TTL,
    ClientCredentials: AT_TTL,
    IdToken: ID_TTL,
    AuthorizationCode: 60,
    RefreshToken: 14 * 24 * 3600,
    Interaction: 3600,
    Session: 14 * 24 * 3600,
    Grant: 14 * 24 * 3600,
  },
  // Always issue a refresh token to the code-flow clients (no offline_access needed).
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  // RT_ROTATE=1: every refresh returns a new refresh token and consumes the old one
  // (reuse of a consumed one revokes the grant). Default: never rotate.
  rotateRefreshToken: () => RT_ROTATE,
  // Auto-consent: grant every requested scope/claim/resource scope, so the login is
  // GET authorize -> login form -> POST login -> redirect_uri.
  async loadExistingGrant(ctx) {
    const { Grant } = ctx.oidc.provider;
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    let grant = grantId ? await Grant.find(grantId) : undefined;
    if (!grant) {
      grant = new Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    }
    grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
    grant.addOIDCClaims([...ctx.oidc.requestParamClaims]);
    for (const [indicator, rs] of Object.entries(ctx.oidc.resourceServers || {})) {
      grant.addResourceScope(indicator, rs.scope);
    }
    await grant.save();
    return grant;
  },
  // Opaque client-credentials tokens have no account; give them sub=client_id in
  // introspection (JWT access tokens already get sub=client_id from the library).
  async extraTokenClaims(ctx, token) {
    if (token.kind === 'ClientCredentials') return { sub: token.clientId };
    // the login behind a code or refresh grant (the access token model
    // does not keep it)
    const login = ctx?.oidc?.entities?.AuthorizationCode || ctx?.oidc?.entities?.RefreshToken;
    if (ACR_VALUES.length && token.kind === 'AccessToken' && login?.acr) {
      return { acr: login.acr, auth_time: login.authTime };
    }
    return undefined;
  },
  features: {
    devInteractions: { enabled: true },
    userinfo: { enabled: true },
    clientCredentials: { enabled: true },
    // RFC 9126, on by default in oidc-provider 8, here only with PAR=1
    // (test_360): AuthOIDCPAR auto would otherwise push every test's login,
    // and the tests that read the authorization request's URL see only
    // client_id and request_uri
    pushedAuthorizationRequests: { enabled: env.PAR === '1' },
    // RFC 9449, only with DPOP=1 (test_370); DPOP_NONCE=1 makes the token
    // and userinfo endpoints demand a server nonce (use_dpop_nonce)
    dPoP: {
      enabled: env.DPOP === '1',
      ...(env.DPOP_NONCE === '1' ? { nonceSecret: randomBytes(32), requireNonce: () => true } : {}),
    },
    introspection: {
      enabled: true,
      // `rs` may introspect any token; any other confidential client only its own.
      allowedPolicy: async (ctx, caller, token) => caller.clientId === 'rs'
        || (caller.clientAuthMethod !== 'none' && caller.clientId === token.clientId),
    },
    revocation: { enabled: true },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      // Same page as the library default, minus the external web font. The form is
      // id="op.logoutForm" with a hidden xsrf input; submit it with logout=yes.
      async logoutSource(ctx, form) {
        ctx.type = 'html';
        ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Logout Request</title></head>
<body><h1>Do you want to sign-out from ${ctx.host}?</h1>
${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout" id="logout-yes">Yes, sign me out</button>
<button type="submit" form="op.logoutForm" id="logout-no">No, stay signed in</button>
</body></html>`;
      },
    },
    resourceIndicators: {
      enabled: true,
      // Code flow without `resource`: opaque AT for userinfo. With resource: that one.
      defaultResource: async (ctx, client, oneOf) => oneOf || undefined,
      useGrantedResource: async () => false,
      async getResourceServerInfo(ctx, indicator) {
        if (indicator === AUDIENCE) {
          return {
            scope: API_SCOPES,
            audience: AUDIENCE,
            accessTokenTTL: AT_TTL,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        }
        if (indicator === OPAQUE_RESOURCE) {
          return {
            scope: API_SCOPES, audience: AUDIENCE, accessTokenTTL: AT_TTL, accessTokenFormat: 'opaque',
          };
        }
        throw new errors.InvalidTarget();
      },
    },
  },
};

if (ACR_VALUES.length) configuration.acrValues = ACR_VALUES;
// RFC 8705 (test_540), only with MTLS_CA=<PEM file>: tls_client_auth and
// certificate-bound tokens. The OP speaks plain http behind a TLS front
// (pyaoidc/tlsfront.py) that asks for a client certificate without judging
// it (SSLVerifyClient optional_no_ca) and forwards it in X-SSL-Client-Cert,
// its newlines unfolded to spaces by mod_headers. Here a certificate is
// "verified" when the MTLS_CA certificate issued and signed it, and its
// subject must be the client's tls_client_auth_subject_dn.
if (env.MTLS_CA) {
  const ca = new X509Certificate(readFileSync(env.MTLS_CA));
  const clientCert = (ctx) => {
    const h = ctx.get('x-ssl-client-cert');
    const m = /-----BEGIN CERTIFICATE-----(.*)-----END CERTIFICATE-----/.exec(h || '');
    if (!m) return undefined;
    const b64 = m[1].replace(/\s+/g, '');
    return `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,64}/g).join('\n')}\n-----END CERTIFICATE-----\n`;
  };
  configuration.clientAuthMethods = ['client_secret_basic', 'client_secret_post',
    'client_secret_jwt', 'private_key_jwt', 'none', 'tls_client_auth'];
  configuration.features.mTLS = {
    enabled: true,
    tlsClientAuth: true,
    certificateBoundAccessTokens: true,
    getCertificate: clientCert,
    certificateAuthorized(ctx) {
      const pem = clientCert(ctx);
      if (!pem) return false;
      const cert = new X509Certificate(pem);
      return cert.checkIssued(ca) && cert.verify(ca.publicKey);
    },
    certificateSubjectMatches(ctx, property, expected) {
      return property === 'tls_client_auth_subject_dn'
        && new X509Certificate(clientCert(ctx)).subject === expected;
    },
  };
}

const provider = new Provider(ISSUER, configuration);

// ACR_VALUES: the acr of a login (devInteractions finish every login here).
if (ACR_VALUES.length) {
  const finish = provider.interactionFinished.bind(provider);
  provider.interactionFinished = async (req, res, result, options) => {
    if (result?.login && !result.login.acr) {
      const { params } = await provider.interactionDetails(req, res);
      const asked = (params.acr_values || '').split(' ');
      const known = ACR_VALUES.filter((v) => asked.includes(v));
      // eslint-disable-next-line no-param-reassign
      result.login.acr = known.length ? known[known.length - 1] : ACR_VALUES[0];
      console.error(`login acr=${result.login.acr}`);
    }
    return finish(req, res, result, options);
  };
  // and in every ID Token, as Keycloak and most OPs put them (the library
  // keeps them for a request that asked: acr_values, max_age)
  const { payload } = provider.IdToken.prototype;
  provider.IdToken.prototype.payload = async function payloadWithAcr() {
    const p = await payload.call(this);
    for (const c of ['acr', 'auth_time']) {
      if (p[c] === undefined && this.available[c] !== undefined) p[c] = this.available[c];
    }
    return p;
  };
}
// Behind a TLS-terminating proxy (test_140): believe its X-Forwarded-Proto.
if (env.TRUST_PROXY === '1') provider.proxy = true;

// rp-legacy (implicit grant) on plain http loopback: the library's recipe for
// lifting its https-only rule for implicit web clients (the tests run on http).
const { invalidate: invalidateClient } = provider.Client.Schema.prototype;
provider.Client.Schema.prototype.invalidate = function invalidate(message, code) {
  if (code === 'implicit-force-https' || code === 'implicit-forbid-localhost') return;
  invalidateClient.call(this, message, code);
};

// A minimal RFC 8693 token exchange for the upstream-token tests: the subject
// must be an access token this OP issued and still knows (opaque: code flow
// or client credentials); the issued token is a readable, unsigned value
// "tx.<base64url JSON>" naming sub, aud, scope and the acting client, so the
// tests can see what the backend got. audience "refuse" is refused
// (invalid_target). One stderr line per exchange, without any token.
provider.registerGrantType(TOKEN_EXCHANGE, async (ctx) => {
  const { params, client } = ctx.oidc;
  const { AccessToken, ClientCredentials } = ctx.oidc.provider;
  if (params.subject_token_type !== AT_TYPE) {
    throw new errors.InvalidRequest('unsupported subject_token_type');
  }
  const subject = (await AccessToken.find(params.subject_token))
    || (await ClientCredentials.find(params.subject_token));
  if (!subject || subject.isExpired) throw new errors.InvalidGrant('subject_token is not active');
  if (params.audience === 'refuse') throw new errors.InvalidTarget('audience refused');
  const sub = subject.accountId || subject.clientId;
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: ISSUER, sub, aud: params.audience, scope: params.scope, act: { sub: client.clientId },
    iat: now, exp: now + AT_TTL, jti: randomBytes(8).toString('hex'),
  };
  console.error(`token-exchange ${client.clientId} sub=${sub} aud=${params.audience}`);
  ctx.body = {
    access_token: `tx.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`,
    issued_token_type: AT_TYPE,
    token_type: 'Bearer',
    expires_in: AT_TTL,
    ...(params.scope ? { scope: params.scope } : {}),
  };
}, ['subject_token', 'subject_token_type', 'requested_token_type', 'audience', 'scope',
  'actor_token', 'actor_token_type']);

// Log each request on stderr; and strip the @import of a web font from the built-in
// HTML pages (no external fetches from the test browser).
provider.use(async (ctx, next) => {
  await next();
  console.error(`${ctx.method} ${ctx.path} -> ${ctx.status}`);
  if (typeof ctx.body === 'string' && /html/.test(ctx.type)) {
    ctx.body = ctx.body.replace(/@import url\(https?:[^)]*\);?/g, '');
  }
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));
// One line per logout token POSTed (no token in it), so tests can wait for it.
provider.on('backchannel.success', (ctx, client, accountId, sid) => console.error(`backchannel.success ${client.clientId} ${accountId} ${sid}`));
provider.on('backchannel.error', (ctx, err, client, accountId, sid) => console.error(`backchannel.error ${client.clientId} ${accountId} ${sid}: ${err.message}`));
provider.on('grant.error', (ctx, err) => console.error('grant.error', err.message, err.error_description || ''));

const server = provider.listen(PORT, '127.0.0.1', () => {
  console.log(`READY ${ISSUER}`);
});
server.on('error', (err) => {
  console.error(`listen failed: ${err.message}`);
  process.exit(1);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
