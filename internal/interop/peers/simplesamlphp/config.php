<?php
/*
 * SimpleSAMLphp 1.19 config for the throw-away test IdP run by
 * internal/interop/peers/simplesamlphp-idp.sh. Copied into $STATE/config/ by `start`;
 * every run-time value comes from $STATE/config/settings.json, so this file
 * stays static. Everything lives under $STATE; only 127.0.0.1 is used.
 */
$s = json_decode(file_get_contents(__DIR__ . '/settings.json'), true);
$state = $s['state_dir'];

$config = [
    'baseurlpath' => $s['base_url'],          // e.g. http://127.0.0.1:8743/
    'certdir' => $state . '/cert/',
    'loggingdir' => $state . '/log/',
    'datadir' => $state . '/data/',
    'tempdir' => $state . '/tmp',
    'metadatadir' => $state . '/metadata/',
    'attributenamemapdir' => '/etc/simplesamlphp/attributemap/',

    'technicalcontact_name' => 'Test IdP',
    'technicalcontact_email' => 'na@example.org',
    'timezone' => 'UTC',

    'secretsalt' => $s['secret_salt'],
    'auth.adminpassword' => $s['admin_password'],
    'admin.protectindexpage' => false,
    'admin.protectmetadata' => false,
    'admin.checkforupdates' => false,
    'trusted.url.domains' => [],
    'enable.http_post' => false,

    'debug' => ['saml' => false, 'backtraces' => true, 'validatexml' => false],
    'showerrors' => true,
    'errorreporting' => false,
    'production' => false,

    'logging.level' => SimpleSAML\Logger::DEBUG,
    'logging.handler' => 'file',
    'logging.logfile' => 'simplesamlphp.log',
    'statistics.out' => [],

    'enable.saml20-idp' => true,
    'enable.shib13-idp' => false,
    'enable.adfs-idp' => false,

    'module.enable' => [
        'exampleauth' => true,
        'core' => true,
        'saml' => true,
        'admin' => true,
    ],

    'session.duration' => 8 * 60 * 60,
    'session.datastore.timeout' => 4 * 60 * 60,
    'session.state.timeout' => 60 * 60,
    'session.cookie.name' => 'SimpleSAMLSessionID',
    'session.cookie.lifetime' => 0,
    'session.cookie.path' => '/',
    'session.cookie.domain' => null,
    'session.cookie.secure' => false,        // plain http on loopback
    'session.cookie.samesite' => null,
    'session.phpsession.cookiename' => 'SimpleSAML',
    'session.phpsession.savepath' => $state . '/sessions',
    'session.phpsession.httponly' => true,
    'session.authtoken.cookiename' => 'SimpleSAMLAuthToken',
    'session.rememberme.enable' => false,

    'language.default' => 'en',
    'language.available' => ['en'],
    'language.cookie.secure' => false,
    'theme.use' => 'default',
    'template.auto_reload' => false,

    // The IdP-side authproc chain; see also saml20-sp-remote.php.
    'authproc.idp' => [],

    'metadata.sources' => [['type' => 'flatfile']],
    'metadata.sign.enable' => false,
    'store.type' => 'phpsession',
];
