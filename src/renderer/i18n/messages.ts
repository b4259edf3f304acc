// The window's words, in English and French. `fr` must have every key of `en`: the type says so.
import type { EngineErrorReason } from '../../main/engine/types.js';

const en = {
  appName: 'Passerelle',
  nav: {
    label: 'Main',
    connection: 'Connection',
    resources: 'Resources',
    settings: 'Settings',
    logs: 'Logs',
  },
  state: {
    disconnected: 'Disconnected',
    connecting: 'Connecting…',
    connected: 'Connected',
    reconnecting: 'Reconnecting…',
    error: 'Not connected',
  },
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
    submitting: 'Connecting…',
    invalidGateway: 'Type a gateway address such as vpn.example.com.',
    missingPassword: 'Type your password.',
    invalidOtp: 'The one-time code is 6 to 8 digits.',
    trustFingerprint: 'I checked it: trust this certificate',
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
    'rate-limited': 'Too many attempts. Wait a few minutes, then try again.',
    protocol:
      'The gateway answered something Passerelle does not understand. Ask your administrator.',
    internal: 'Something went wrong inside Passerelle. The Logs view has the details.',
  } satisfies Record<EngineErrorReason, string>,
  fingerprintIntro: 'Its fingerprint is:',
  fingerprintAdvice:
    'Compare it with the one your administrator gave you. Trust it only if they are identical.',
  controllerErrors: {
    'password-needed': 'Type your password: none is saved for this account.',
    'no-profile': 'No gateway is set up yet. Log in first.',
    busy: 'The tunnel is busy. Wait for it, or disconnect first.',
    keychain: 'The system keychain could not be used.',
    'ca-unreadable': 'The CA certificate file of this profile cannot be read.',
    'invalid-request': 'Some values are not valid.',
    autostart: 'Start at login could not be changed.',
    other: 'That did not work.',
  } as Record<string, string>,
  status: {
    title: 'Status',
    gateway: 'Gateway',
    user: 'User',
    intranetIp: 'Intranet address',
    none: 'None',
    since: 'Connected since',
    duration: (d: string) => `for ${d}`,
    received: 'Received',
    sent: 'Sent',
    rtt: 'Round trip to the gateway',
    flows: 'Open connections',
    connect: 'Connect',
    disconnect: 'Disconnect',
    cancel: 'Cancel',
    changeAccount: 'Use another account or gateway',
    reconnectReason: (attempt: number, reason: string) => `Attempt ${attempt}: ${reason}`,
  },
  units: { byte: 'B', kilo: 'kB', mega: 'MB', giga: 'GB', perSecond: '/s', ms: 'ms' },
  resources: {
    title: 'Resources',
    intro: 'The intranet resources your account may reach through the gateway.',
    search: 'Search resources',
    searchPlaceholder: 'Name, address, port or protocol',
    count: (shown: number, total: number) =>
      shown === total
        ? `${total} resource${total === 1 ? '' : 's'}`
        : `${shown} of ${total} resources`,
    name: 'Name',
    address: 'Address',
    ports: 'Ports',
    protocols: 'Protocols',
    allPorts: 'All ports',
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
    pinHint: 'sha256:… as given by your administrator.',
    save: 'Save',
    cancel: 'Cancel',
    saved: 'Saved.',
    settingsProblem: (path: string, reason: string, backup: string) =>
      `The settings file ${path} could not be used (${reason}). Passerelle started with default settings; a copy of the file is kept at ${backup}.`,
  },
  logs: {
    title: 'Logs',
    intro: 'What Passerelle did, newest last. Passwords are never written here.',
    clear: 'Clear',
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
    connecting: 'Connexion…',
    connected: 'Connecté',
    reconnecting: 'Reconnexion…',
    error: 'Non connecté',
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
    submitting: 'Connexion…',
    invalidGateway: 'Saisissez une adresse de passerelle comme vpn.exemple.fr.',
    missingPassword: 'Saisissez votre mot de passe.',
    invalidOtp: 'Le code à usage unique comporte 6 à 8 chiffres.',
    trustFingerprint: 'J’ai vérifié : faire confiance à ce certificat',
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
    'rate-limited': 'Trop de tentatives. Patientez quelques minutes puis réessayez.',
    protocol:
      'La passerelle a répondu quelque chose que Passerelle ne comprend pas. Contactez votre administrateur.',
    internal: 'Une erreur interne s’est produite. Le journal donne les détails.',
  },
  fingerprintIntro: 'Son empreinte est :',
  fingerprintAdvice:
    'Comparez-la à celle que votre administrateur vous a donnée. Ne lui faites confiance que si elles sont identiques.',
  controllerErrors: {
    'password-needed': 'Saisissez votre mot de passe : aucun n’est enregistré pour ce compte.',
    'no-profile': 'Aucune passerelle n’est configurée. Connectez-vous d’abord.',
    busy: 'Le tunnel est occupé. Patientez ou déconnectez-vous d’abord.',
    keychain: 'Le trousseau du système n’a pas pu être utilisé.',
    'ca-unreadable': 'Le fichier du certificat d’autorité de ce profil est illisible.',
    'invalid-request': 'Certaines valeurs ne sont pas valides.',
    autostart: 'Le démarrage à l’ouverture de session n’a pas pu être modifié.',
    other: 'Cela n’a pas fonctionné.',
  },
  status: {
    title: 'État',
    gateway: 'Passerelle',
    user: 'Utilisateur',
    intranetIp: 'Adresse intranet',
    none: 'Aucune',
    since: 'Connecté depuis',
    duration: (d) => `depuis ${d}`,
    received: 'Reçu',
    sent: 'Envoyé',
    rtt: 'Aller-retour vers la passerelle',
    flows: 'Connexions ouvertes',
    connect: 'Se connecter',
    disconnect: 'Se déconnecter',
    cancel: 'Annuler',
    changeAccount: 'Utiliser un autre compte ou une autre passerelle',
    reconnectReason: (attempt, reason) => `Tentative ${attempt} : ${reason}`,
  },
  units: { byte: 'o', kilo: 'ko', mega: 'Mo', giga: 'Go', perSecond: '/s', ms: 'ms' },
  resources: {
    title: 'Ressources',
    intro: 'Les ressources de l’intranet auxquelles votre compte a accès par la passerelle.',
    search: 'Rechercher une ressource',
    searchPlaceholder: 'Nom, adresse, port ou protocole',
    count: (shown, total) =>
      shown === total
        ? `${total} ressource${total > 1 ? 's' : ''}`
        : `${shown} sur ${total} ressources`,
    name: 'Nom',
    address: 'Adresse',
    ports: 'Ports',
    protocols: 'Protocoles',
    allPorts: 'Tous les ports',
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
    pinHint: 'sha256:… tel que fourni par votre administrateur.',
    save: 'Enregistrer',
    cancel: 'Annuler',
    saved: 'Enregistré.',
    settingsProblem: (path, reason, backup) =>
      `Le fichier de réglages ${path} est inutilisable (${reason}). Passerelle a démarré avec les réglages par défaut ; une copie du fichier est conservée dans ${backup}.`,
  },
  logs: {
    title: 'Journal',
    intro:
      'Ce que Passerelle a fait, le plus récent en bas. Les mots de passe n’y figurent jamais.',
    clear: 'Effacer',
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
