// The window's words, in English and French. `fr` must have every key of `en`: the type says so.
import type {
  CertificateProblem,
  ConnectPhase,
  EngineErrorReason,
  FailureCause,
} from '../../main/engine/types.js';
import type { InstallKind } from '../../shared/ipc-schema.js';
import { NO_PRIVILEGES } from '../../shared/privilege-advice.js';

const en = {
  appName: 'Passerelle',
  nav: {
    label: 'Main',
    connection: 'Connection',
    resources: 'Resources',
    settings: 'Settings',
    logs: 'Logs',
  },
  /** The state pill and the big label; one word per state, the same as the tray's. */
  state: {
    disconnected: 'Disconnected',
    connecting: 'Connecting…',
    connected: 'Connected',
    reconnecting: 'Reconnecting…',
    failed: 'Connection failed',
    needsCode: 'Code needed',
    checkCertificate: 'Check the certificate',
    certificateChanged: 'Certificate changed',
  },
  phases: {
    label: 'Connection steps',
    resolving: 'Looking up the gateway',
    securing: 'Opening a secure connection',
    'signing-in': 'Signing in',
    configuring: 'Setting up the network',
    done: 'done',
    current: 'in progress',
    pending: 'to do',
  } satisfies Record<ConnectPhase, string> & Record<string, string>,
  login: {
    title: 'Connect to your organisation',
    intro: 'Type the address of the gateway and your account, as given by your administrator.',
    gateway: 'Gateway address',
    gatewayHint: 'For example vpn.example.com or https://vpn.example.com:8443',
    username: 'User name',
    password: 'Password',
    passwordSaved: 'Saved in the system keychain — leave empty to use it',
    otp: 'One-time code',
    otpHint: 'The 6 to 8 digits shown by your authenticator app.',
    remember: 'Remember my password in the system keychain',
    submit: 'Connect',
    cancel: 'Cancel',
    invalidGateway: 'Type a gateway address such as vpn.example.com.',
    missingPassword: 'Type your password.',
    invalidOtp: 'The one-time code is 6 to 8 digits.',
  },
  errors: {
    'bad-credentials': 'The user name or password is wrong. Check them and try again.',
    'otp-required':
      'The gateway asks for a one-time code: type the code from your authenticator app.',
    'untrusted-certificate':
      'The gateway’s certificate is not trusted, so Passerelle did not send your password.',
    'certificate-changed':
      'The gateway’s certificate has changed since you trusted it. Passerelle did not send your password.',
    'gateway-unreachable':
      'The gateway cannot be reached. Check its address and your internet connection, then try again.',
    'no-privileges':
      'Passerelle is not allowed to create its network device. Reinstall the app, or ask your administrator.',
    'helper-missing':
      'The Passerelle network service is not running, so Passerelle cannot create its network device. Install the Passerelle .deb package (an AppImage cannot install the service), or ask your administrator to start passerelle-helper.',
    'rate-limited': 'Too many attempts. Wait a few minutes, then try again.',
    protocol:
      'The gateway answered something Passerelle does not understand. Ask your administrator.',
    internal: 'Something went wrong inside Passerelle. The Logs view has the details.',
  } satisfies Record<EngineErrorReason, string>,
  /** Why a gateway is unreachable or a connection was lost: a sentence that says what to do. */
  causes: {
    'name-unknown': 'Its name is unknown. Check the gateway address.',
    'dns-unavailable': 'No DNS server answered. Check your internet connection.',
    'timed-out':
      'It did not answer in time. Check your internet connection; a firewall may block it.',
    refused:
      'It refused the connection. The gateway service may be down, or the port may be wrong.',
    'network-unreachable': 'There is no route to it. Check your internet connection.',
    'connection-reset': 'The connection was cut.',
    'tls-failed': 'The secure connection could not be set up. It may not be a Passerelle gateway.',
    'keepalive-lost': 'The gateway stopped answering.',
    'gateway-closed': 'The gateway closed the connection (it may be restarting).',
    other: 'An unexpected network error occurred. The Logs view has the details.',
  } satisfies Record<FailureCause, string>,
  unreachable: (gateway: string) => `${gateway} cannot be reached.`,
  rateLimitedUntil: (time: string) => `Too many attempts. Try again at ${time}.`,
  noPrivileges: NO_PRIVILEGES.en,
  certificate: {
    untrustedTitle: 'Check the gateway’s certificate',
    changedTitle: 'The gateway’s certificate has changed',
    changedWarning:
      'This is what an interception of your connection looks like. Go on only if your administrator told you that the gateway’s certificate was replaced.',
    why: 'Why it is not trusted',
    problem: {
      'self-signed': 'It is signed by itself, not by an authority this computer trusts.',
      'unknown-issuer': 'It is signed by an authority this computer does not know.',
      expired: 'It has expired.',
      'not-yet-valid': 'It is not valid yet: check this computer’s date and time.',
      'wrong-name': 'It is made out to another name than the gateway’s address.',
      'pin-mismatch': 'It is not the certificate you trusted for this gateway.',
      other: 'This computer could not verify it.',
    } satisfies Record<CertificateProblem, string>,
    subject: 'Issued to',
    issuer: 'Issued by',
    validity: 'Valid',
    validRange: (from: string, to: string) => `from ${from} to ${to}`,
    fingerprint: 'Certificate fingerprint (SHA-256)',
    publicKey: 'Public key (SHA-256)',
    previous: 'Trusted until now',
    previousCertificate: (value: string) => `certificate ${value}`,
    previousKey: (value: string) => `public key ${value}`,
    advice:
      'Compare the fingerprint with the one your administrator gave you. Trust it only if they are identical.',
    confirmChange:
      'My administrator confirmed that the gateway’s certificate was replaced, and the new fingerprint matches',
    trustAndConnect: 'Trust this certificate and connect',
    trustNewAndConnect: 'Trust the new certificate and connect',
  },
  keychain: {
    notSaved: (reason: string) =>
      `You are connected, but your password could not be saved in the system keychain (${reason}). Passerelle will ask for it next time.`,
    retry: 'Try again',
    continue: 'Continue without saving',
  },
  controllerErrors: {
    'password-needed': 'Type your password: none is saved for this account.',
    'no-profile': 'No gateway is set up yet. Log in first.',
    busy: 'The tunnel is busy. Wait for it, or disconnect first.',
    keychain: 'The system keychain could not be used.',
    'ca-unreadable': 'The CA certificate file of this profile cannot be read.',
    'invalid-request': 'Some values are not valid.',
    autostart: 'Start at login could not be changed.',
    clipboard: 'The clipboard could not be used.',
    save: 'The file could not be saved.',
    other: 'That did not work.',
  } as Record<string, string>,
  status: {
    title: 'Status',
    gateway: 'Gateway',
    user: 'User',
    profile: 'Profile',
    intranetIp: 'Intranet address',
    none: 'None',
    connectedFor: 'Connected for',
    durationSince: (duration: string, since: string) => `${duration} (since ${since})`,
    received: 'Received',
    sent: 'Sent',
    rtt: 'Round trip to the gateway',
    flows: 'Open connections',
    flowsDetail: (total: string, tcp: number, udp: number, icmp: number) =>
      `${total} (TCP ${tcp}, UDP ${udp}, ICMP ${icmp})`,
    connect: 'Connect',
    disconnect: 'Disconnect',
    cancel: 'Cancel',
    changeAccount: 'Use another account or gateway',
    idleHint: 'Connect to reach your organisation’s intranet.',
    connectionLost: 'Connection lost.',
    nextAttempt: (attempt: number, seconds: number) =>
      `Attempt ${attempt} in ${seconds} s. Your intranet traffic waits meanwhile.`,
    attemptNow: (attempt: number) => `Attempt ${attempt}: trying now…`,
  },
  tunnel: {
    title: 'What goes through the tunnel',
    full: (org: string) => `All your traffic goes through ${org}.`,
    theGateway: (host: string) => `the gateway ${host}`,
    split: (org: string | null) =>
      `Only traffic to ${org ? `${org}’s` : 'your organisation’s'} networks goes through the tunnel; everything else goes straight to the Internet.`,
    networks: 'Networks secured',
    allNetworks: 'Every destination',
    dns: 'Name lookups (DNS)',
    dnsDomains: (domains: string, servers: string) =>
      `Names ending in ${domains} are looked up by the intranet server ${servers}.`,
    dnsAll: (servers: string) => `Every name is looked up by the intranet server ${servers} first.`,
    dnsNone: 'The gateway gives no DNS server: intranet names are not looked up.',
    list: (items: string[]) =>
      items.length <= 1
        ? (items[0] ?? '')
        : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`,
  },
  traffic: {
    title: 'Traffic',
    received: 'Received',
    sent: 'Sent',
    rtt: 'Round trip',
    throughput: 'Throughput',
    window: (minutes: number) => `Last ${minutes} minutes`,
    ago: (minutes: number) => `−${minutes} min`,
    now: 'now',
    waiting: 'The graph fills in as traffic is measured, once a second.',
    summary: (rateIn: string, rateOut: string, peakIn: string, peakOut: string) =>
      `Received ${rateIn} now (peak ${peakIn}), sent ${rateOut} now (peak ${peakOut}).`,
    rttSummary: (now: string, low: string, high: string) =>
      `Round trip ${now} now, between ${low} and ${high}.`,
  },
  units: { byte: 'B', kilo: 'kB', mega: 'MB', giga: 'GB', perSecond: '/s', ms: 'ms' },
  resources: {
    title: 'Resources',
    intro: 'The intranet resources your account may reach through the gateway.',
    search: 'Search resources',
    searchPlaceholder: 'Name, address, port, service or protocol',
    count: (shown: number, total: number) =>
      shown === total
        ? `${total} resource${total === 1 ? '' : 's'}`
        : `${shown} of ${total} resources`,
    name: 'Name',
    address: 'Address',
    ports: 'Ports',
    protocols: 'Protocols',
    allPorts: 'All ports',
    pingOnly: 'No ports (ping)',
    notConnected: 'Connect to see the resources you may reach.',
    noMatch: (q: string) => `No resource matches “${q}”.`,
    empty: 'The gateway lists no resource for your account.',
  },
  settings: {
    title: 'Settings',
    startup: 'Start',
    startAtLogin: 'Start Passerelle when I log in',
    connectAtStart: 'Connect when Passerelle starts',
    connectAtStartHint: 'Uses the current profile and its saved password.',
    startHidden: 'Start hidden in the tray when launched at login',
    noTray:
      'Your desktop shows no tray icon, so Passerelle always starts with its window; closing it while connected minimizes it, and quits when not connected.',
    appearance: 'Appearance',
    language: 'Language',
    languageSystem: 'Same as the system',
    theme: 'Theme',
    themeSystem: 'Same as the system',
    themeLight: 'Light',
    themeDark: 'Dark',
    profiles: 'Profiles',
    profilesIntro:
      'Each profile is a gateway and an account. Passwords stay in the system keychain.',
    noProfiles: 'No profile yet: log in once to create one.',
    current: 'Current',
    use: 'Use this profile',
    switchTo: 'Switch to this profile',
    edit: 'Edit',
    remove: 'Delete',
    forget: 'Forget saved password',
    passwordSaved: 'Password saved',
    passwordNotSaved: 'Password not saved',
    add: 'Add a profile',
    name: 'Name',
    gateway: 'Gateway address',
    username: 'User name',
    caPath: 'CA certificate file (optional)',
    caPathHint: 'Path of a PEM file, when the gateway uses a private certificate authority.',
    pin: 'Certificate fingerprint (optional)',
    pinHint: 'sha256:… as given by your administrator (or spki-sha256:… for a public key).',
    save: 'Save',
    cancel: 'Cancel',
    saved: 'Saved.',
    settingsProblem: (path: string, reason: string, backup: string) =>
      `The settings file ${path} could not be used (${reason}). Passerelle started with default settings; a copy of the file is kept at ${backup}.`,
  },
  about: {
    title: 'About',
    version: (version: string) => `Passerelle ${version}`,
    installKind: {
      deb: 'Installed from the .deb package',
      appimage: 'Running as an AppImage',
      development: 'Development build',
      other: 'Desktop app',
    } satisfies Record<InstallKind, string>,
  },
  logs: {
    title: 'Logs',
    intro: 'What Passerelle did, newest last. Passwords are never written here.',
    clear: 'Clear',
    copy: 'Copy',
    save: 'Save…',
    diagnostics: 'Copy diagnostics',
    diagnosticsHint:
      'For support: version, system, state, last errors and counters, without passwords, codes or tokens.',
    copied: 'The log is on the clipboard.',
    saved: (path: string) => `Saved to ${path}.`,
    diagnosticsCopied:
      'The diagnostics are on the clipboard: paste them into your message to support.',
    empty: 'Nothing logged yet.',
    level: { info: 'info', warn: 'warning', error: 'error' },
  },
  close: 'Close',
};

export type Messages = typeof en;

const fr: Messages = {
  appName: 'Passerelle',
  nav: {
    label: 'Principal',
    connection: 'Connexion',
    resources: 'Ressources',
    settings: 'Réglages',
    logs: 'Journal',
  },
  state: {
    disconnected: 'Déconnecté',
    connecting: 'Connexion en cours…',
    connected: 'Connecté',
    reconnecting: 'Reconnexion en cours…',
    failed: 'Échec de la connexion',
    needsCode: 'Code demandé',
    checkCertificate: 'Certificat à vérifier',
    certificateChanged: 'Certificat modifié',
  },
  phases: {
    label: 'Étapes de la connexion',
    resolving: 'Recherche de la passerelle',
    securing: 'Ouverture d’une connexion sécurisée',
    'signing-in': 'Authentification',
    configuring: 'Configuration du réseau',
    done: 'terminé',
    current: 'en cours',
    pending: 'à venir',
  },
  login: {
    title: 'Connexion à votre organisation',
    intro:
      'Saisissez l’adresse de la passerelle et votre compte, tels que fournis par votre administrateur.',
    gateway: 'Adresse de la passerelle',
    gatewayHint: 'Par exemple vpn.exemple.fr ou https://vpn.exemple.fr:8443',
    username: 'Nom d’utilisateur',
    password: 'Mot de passe',
    passwordSaved: 'Enregistré dans le trousseau du système — laissez vide pour l’utiliser',
    otp: 'Code à usage unique',
    otpHint: 'Les 6 à 8 chiffres affichés par votre application d’authentification.',
    remember: 'Mémoriser mon mot de passe dans le trousseau du système',
    submit: 'Se connecter',
    cancel: 'Annuler',
    invalidGateway: 'Saisissez une adresse de passerelle comme vpn.exemple.fr.',
    missingPassword: 'Saisissez votre mot de passe.',
    invalidOtp: 'Le code à usage unique comporte 6 à 8 chiffres.',
  },
  errors: {
    'bad-credentials':
      'Le nom d’utilisateur ou le mot de passe est incorrect. Vérifiez-les et réessayez.',
    'otp-required':
      'La passerelle demande un code à usage unique : saisissez le code de votre application d’authentification.',
    'untrusted-certificate':
      'Le certificat de la passerelle n’est pas reconnu : Passerelle n’a pas envoyé votre mot de passe.',
    'certificate-changed':
      'Le certificat de la passerelle a changé depuis que vous lui avez fait confiance. Passerelle n’a pas envoyé votre mot de passe.',
    'gateway-unreachable':
      'La passerelle est injoignable. Vérifiez son adresse et votre connexion à Internet, puis réessayez.',
    'no-privileges':
      'Passerelle n’a pas le droit de créer son interface réseau. Réinstallez l’application ou contactez votre administrateur.',
    'helper-missing':
      'Le service réseau de Passerelle ne fonctionne pas : Passerelle ne peut pas créer son interface réseau. Installez le paquet .deb de Passerelle (une AppImage ne peut pas installer ce service) ou demandez à votre administrateur de démarrer passerelle-helper.',
    'rate-limited': 'Trop de tentatives. Patientez quelques minutes puis réessayez.',
    protocol:
      'La passerelle a répondu quelque chose que Passerelle ne comprend pas. Contactez votre administrateur.',
    internal: 'Une erreur interne s’est produite. Le journal donne les détails.',
  },
  causes: {
    'name-unknown': 'Son nom est inconnu. Vérifiez l’adresse de la passerelle.',
    'dns-unavailable': 'Aucun serveur DNS n’a répondu. Vérifiez votre connexion à Internet.',
    'timed-out':
      'Elle n’a pas répondu à temps. Vérifiez votre connexion à Internet ; un pare-feu la bloque peut-être.',
    refused:
      'Elle a refusé la connexion. Le service de la passerelle est peut-être arrêté, ou le port erroné.',
    'network-unreachable': 'Aucune route ne mène à elle. Vérifiez votre connexion à Internet.',
    'connection-reset': 'La connexion a été coupée.',
    'tls-failed':
      'La connexion sécurisée n’a pas pu être établie. Ce n’est peut-être pas une passerelle Passerelle.',
    'keepalive-lost': 'La passerelle ne répond plus.',
    'gateway-closed': 'La passerelle a fermé la connexion (elle redémarre peut-être).',
    other: 'Une erreur réseau inattendue s’est produite. Le journal donne les détails.',
  },
  unreachable: (gateway) => `${gateway} est injoignable.`,
  rateLimitedUntil: (time) => `Trop de tentatives. Réessayez à ${time}.`,
  noPrivileges: NO_PRIVILEGES.fr,
  certificate: {
    untrustedTitle: 'Vérifiez le certificat de la passerelle',
    changedTitle: 'Le certificat de la passerelle a changé',
    changedWarning:
      'C’est ainsi que se présente une interception de votre connexion. Ne continuez que si votre administrateur vous a dit que le certificat de la passerelle a été remplacé.',
    why: 'Pourquoi il n’est pas reconnu',
    problem: {
      'self-signed':
        'Il est signé par lui-même, et non par une autorité reconnue par cet ordinateur.',
      'unknown-issuer': 'Il est signé par une autorité que cet ordinateur ne connaît pas.',
      expired: 'Il a expiré.',
      'not-yet-valid':
        'Il n’est pas encore valable : vérifiez la date et l’heure de cet ordinateur.',
      'wrong-name': 'Il est établi pour un autre nom que l’adresse de la passerelle.',
      'pin-mismatch':
        'Ce n’est pas le certificat auquel vous avez fait confiance pour cette passerelle.',
      other: 'Cet ordinateur n’a pas pu le vérifier.',
    },
    subject: 'Délivré à',
    issuer: 'Délivré par',
    validity: 'Valable',
    validRange: (from, to) => `du ${from} au ${to}`,
    fingerprint: 'Empreinte du certificat (SHA-256)',
    publicKey: 'Clé publique (SHA-256)',
    previous: 'Reconnu jusqu’ici',
    previousCertificate: (value) => `certificat ${value}`,
    previousKey: (value) => `clé publique ${value}`,
    advice:
      'Comparez l’empreinte à celle que votre administrateur vous a donnée. Ne lui faites confiance que si elles sont identiques.',
    confirmChange:
      'Mon administrateur m’a confirmé que le certificat de la passerelle a été remplacé, et la nouvelle empreinte correspond',
    trustAndConnect: 'Faire confiance à ce certificat et se connecter',
    trustNewAndConnect: 'Faire confiance au nouveau certificat et se connecter',
  },
  keychain: {
    notSaved: (reason) =>
      `Vous êtes connecté, mais votre mot de passe n’a pas pu être enregistré dans le trousseau du système (${reason}). Passerelle vous le redemandera la prochaine fois.`,
    retry: 'Réessayer',
    continue: 'Continuer sans l’enregistrer',
  },
  controllerErrors: {
    'password-needed': 'Saisissez votre mot de passe : aucun n’est enregistré pour ce compte.',
    'no-profile': 'Aucune passerelle n’est configurée. Connectez-vous d’abord.',
    busy: 'Le tunnel est occupé. Patientez ou déconnectez-vous d’abord.',
    keychain: 'Le trousseau du système n’a pas pu être utilisé.',
    'ca-unreadable': 'Le fichier du certificat d’autorité de ce profil est illisible.',
    'invalid-request': 'Certaines valeurs ne sont pas valides.',
    autostart: 'Le démarrage à l’ouverture de session n’a pas pu être modifié.',
    clipboard: 'Le presse-papiers n’a pas pu être utilisé.',
    save: 'Le fichier n’a pas pu être enregistré.',
    other: 'Cela n’a pas fonctionné.',
  },
  status: {
    title: 'État',
    gateway: 'Passerelle',
    user: 'Utilisateur',
    profile: 'Profil',
    intranetIp: 'Adresse intranet',
    none: 'Aucune',
    connectedFor: 'Durée de connexion',
    durationSince: (duration, since) => `${duration} (depuis ${since})`,
    received: 'Reçu',
    sent: 'Envoyé',
    rtt: 'Aller-retour vers la passerelle',
    flows: 'Connexions ouvertes',
    flowsDetail: (total, tcp, udp, icmp) => `${total} (TCP ${tcp}, UDP ${udp}, ICMP ${icmp})`,
    connect: 'Se connecter',
    disconnect: 'Se déconnecter',
    cancel: 'Annuler',
    changeAccount: 'Utiliser un autre compte ou une autre passerelle',
    idleHint: 'Connectez-vous pour accéder à l’intranet de votre organisation.',
    connectionLost: 'Connexion perdue.',
    nextAttempt: (attempt, seconds) =>
      `Tentative ${attempt} dans ${seconds} s. Votre trafic vers l’intranet attend d’ici là.`,
    attemptNow: (attempt) => `Tentative ${attempt} : essai en cours…`,
  },
  tunnel: {
    title: 'Ce qui passe par le tunnel',
    full: (org) => `Tout votre trafic passe par ${org}.`,
    theGateway: (host) => `la passerelle ${host}`,
    split: (org) =>
      `Seul le trafic vers les réseaux ${org ? `de ${org}` : 'de votre organisation'} passe par le tunnel ; le reste va directement sur Internet.`,
    networks: 'Réseaux sécurisés',
    allNetworks: 'Toutes les destinations',
    dns: 'Résolution des noms (DNS)',
    dnsDomains: (domains, servers) =>
      `Les noms en ${domains} sont résolus par le serveur de l’intranet ${servers}.`,
    dnsAll: (servers) =>
      `Tous les noms sont d’abord résolus par le serveur de l’intranet ${servers}.`,
    dnsNone:
      'La passerelle n’indique aucun serveur DNS : les noms de l’intranet ne sont pas résolus.',
    list: (items) =>
      items.length <= 1
        ? (items[0] ?? '')
        : `${items.slice(0, -1).join(', ')} et ${items[items.length - 1]}`,
  },
  traffic: {
    title: 'Trafic',
    received: 'Reçu',
    sent: 'Envoyé',
    rtt: 'Aller-retour',
    throughput: 'Débit',
    window: (minutes) => `${minutes} dernières minutes`,
    ago: (minutes) => `−${minutes} min`,
    now: 'maintenant',
    waiting: 'Le graphique se remplit à mesure que le trafic est mesuré, chaque seconde.',
    summary: (rateIn, rateOut, peakIn, peakOut) =>
      `Reçu ${rateIn} en ce moment (pointe ${peakIn}), envoyé ${rateOut} (pointe ${peakOut}).`,
    rttSummary: (now, low, high) => `Aller-retour ${now} en ce moment, entre ${low} et ${high}.`,
  },
  units: { byte: 'o', kilo: 'ko', mega: 'Mo', giga: 'Go', perSecond: '/s', ms: 'ms' },
  resources: {
    title: 'Ressources',
    intro: 'Les ressources de l’intranet auxquelles votre compte a accès par la passerelle.',
    search: 'Rechercher une ressource',
    searchPlaceholder: 'Nom, adresse, port, service ou protocole',
    count: (shown, total) =>
      shown === total
        ? `${total} ressource${total > 1 ? 's' : ''}`
        : `${shown} sur ${total} ressources`,
    name: 'Nom',
    address: 'Adresse',
    ports: 'Ports',
    protocols: 'Protocoles',
    allPorts: 'Tous les ports',
    pingOnly: 'Sans port (ping)',
    notConnected: 'Connectez-vous pour voir les ressources accessibles.',
    noMatch: (q) => `Aucune ressource ne correspond à « ${q} ».`,
    empty: 'La passerelle n’indique aucune ressource pour votre compte.',
  },
  settings: {
    title: 'Réglages',
    startup: 'Démarrage',
    startAtLogin: 'Lancer Passerelle à l’ouverture de session',
    connectAtStart: 'Se connecter au lancement de Passerelle',
    connectAtStartHint: 'Utilise le profil courant et son mot de passe enregistré.',
    startHidden: 'Démarrer caché dans la zone de notification à l’ouverture de session',
    noTray:
      'Votre bureau n’affiche pas d’icône de notification : Passerelle démarre donc toujours avec sa fenêtre ; la fermer pendant une connexion la réduit, et quitte l’application sinon.',
    appearance: 'Apparence',
    language: 'Langue',
    languageSystem: 'Celle du système',
    theme: 'Thème',
    themeSystem: 'Celui du système',
    themeLight: 'Clair',
    themeDark: 'Sombre',
    profiles: 'Profils',
    profilesIntro:
      'Chaque profil associe une passerelle et un compte. Les mots de passe restent dans le trousseau du système.',
    noProfiles: 'Aucun profil : connectez-vous une fois pour en créer un.',
    current: 'Courant',
    use: 'Utiliser ce profil',
    switchTo: 'Basculer sur ce profil',
    edit: 'Modifier',
    remove: 'Supprimer',
    forget: 'Oublier le mot de passe enregistré',
    passwordSaved: 'Mot de passe enregistré',
    passwordNotSaved: 'Mot de passe non enregistré',
    add: 'Ajouter un profil',
    name: 'Nom',
    gateway: 'Adresse de la passerelle',
    username: 'Nom d’utilisateur',
    caPath: 'Fichier du certificat d’autorité (facultatif)',
    caPathHint:
      'Chemin d’un fichier PEM, si la passerelle utilise une autorité de certification privée.',
    pin: 'Empreinte du certificat (facultatif)',
    pinHint:
      'sha256:… tel que fourni par votre administrateur (ou spki-sha256:… pour une clé publique).',
    save: 'Enregistrer',
    cancel: 'Annuler',
    saved: 'Enregistré.',
    settingsProblem: (path, reason, backup) =>
      `Le fichier de réglages ${path} est inutilisable (${reason}). Passerelle a démarré avec les réglages par défaut ; une copie du fichier est conservée dans ${backup}.`,
  },
  about: {
    title: 'À propos',
    version: (version) => `Passerelle ${version}`,
    installKind: {
      deb: 'Installé depuis le paquet .deb',
      appimage: 'Lancé en AppImage',
      development: 'Version de développement',
      other: 'Application de bureau',
    },
  },
  logs: {
    title: 'Journal',
    intro:
      'Ce que Passerelle a fait, le plus récent en bas, en anglais (la langue de l’assistance). Les mots de passe n’y figurent jamais.',
    clear: 'Effacer',
    copy: 'Copier',
    save: 'Enregistrer…',
    diagnostics: 'Copier le diagnostic',
    diagnosticsHint:
      'Pour l’assistance : version, système, état, dernières erreurs et compteurs, sans mot de passe, code ni jeton.',
    copied: 'Le journal est dans le presse-papiers.',
    saved: (path) => `Enregistré dans ${path}.`,
    diagnosticsCopied:
      'Le diagnostic est dans le presse-papiers : collez-le dans votre message à l’assistance.',
    empty: 'Rien pour l’instant.',
    level: { info: 'info', warn: 'avertissement', error: 'erreur' },
  },
  close: 'Fermer',
};

export type Language = 'en' | 'fr';
export const MESSAGES: Record<Language, Messages> = { en, fr };

export function languageOf(locale: string): Language {
  return locale.toLowerCase().startsWith('fr') ? 'fr' : 'en';
}
