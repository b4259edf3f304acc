// The words the main process shows itself (tray, desktop notifications, the window's context
// menu), in English and French. The renderer has its own catalogue for the window; the two use
// the same words for the same states.
import type {
  ConnectPhase,
  EngineErrorReason,
  EngineState,
  FailureCause,
} from '../engine/types.js';
import type { InstallKind, Language } from '../../shared/ipc-schema.js';
import { NO_PRIVILEGES } from '../../shared/privilege-advice.js';

export interface MainMessages {
  appName: string;
  /** The tray's four icon states. */
  state: { disconnected: string; connecting: string; connected: string; error: string };
  phase: Record<ConnectPhase, string>;
  menu: {
    connect: string;
    disconnect: string;
    cancel: string;
    open: string;
    quit: string;
    profiles: string;
  };
  /** The tray menu's status lines. */
  status: {
    connectedTo: (gateway: string) => string;
    intranetIp: (ip: string) => string;
    duration: (duration: string, since: string) => string;
    connectingTo: (gateway: string, phase: string) => string;
    reconnectingTo: (gateway: string, attempt: number) => string;
    disconnected: string;
    failed: string;
    profile: (name: string) => string;
  };
  /** Tooltip line 2 when there is a gateway. */
  tooltipGateway: (gateway: string) => string;
  noProfile: string;
  connectedTitle: string;
  connectedBody: (gateway: string, intranetIp: string | null) => string;
  disconnectedTitle: string;
  disconnectedBody: (gateway: string) => string;
  reconnectingTitle: string;
  reconnectingBody: (gateway: string, cause: string) => string;
  errorTitle: string;
  errorReason: Record<EngineErrorReason, (gateway: string) => string>;
  /** Why a gateway cannot be reached or a connection was lost, as a clause. */
  cause: Record<FailureCause, string>;
  unreachable: (gateway: string, cause: string) => string;
  rateLimitedUntil: (time: string) => string;
  noPrivileges: Record<InstallKind, string>;
  contextMenu: { cut: string; copy: string; paste: string; selectAll: string };
}

const en: MainMessages = {
  appName: 'Passerelle',
  state: {
    disconnected: 'Disconnected',
    connecting: 'Connecting…',
    connected: 'Connected',
    error: 'Connection failed',
  },
  phase: {
    resolving: 'looking up the gateway',
    securing: 'opening a secure connection',
    'signing-in': 'signing in',
    configuring: 'setting up the network',
  },
  menu: {
    connect: 'Connect',
    disconnect: 'Disconnect',
    cancel: 'Cancel',
    open: 'Open Passerelle',
    quit: 'Quit',
    profiles: 'Profiles',
  },
  status: {
    connectedTo: (gw) => `Connected to ${gw}`,
    intranetIp: (ip) => `Intranet address ${ip}`,
    duration: (d, since) => `For ${d} (since ${since})`,
    connectingTo: (gw, phase) => `Connecting to ${gw}: ${phase}…`,
    reconnectingTo: (gw, attempt) => `Reconnecting to ${gw} (attempt ${attempt})…`,
    disconnected: 'Disconnected',
    failed: 'Connection failed: open Passerelle for details',
    profile: (name) => `Profile: ${name}`,
  },
  tooltipGateway: (gateway) => `Gateway: ${gateway}`,
  noProfile: 'No gateway set up yet',
  connectedTitle: 'Connected',
  connectedBody: (gateway, ip) =>
    ip
      ? `Secure connection to ${gateway}. Your intranet address is ${ip}.`
      : `Secure connection to ${gateway}.`,
  disconnectedTitle: 'Disconnected',
  disconnectedBody: (gateway) =>
    `You are no longer connected to ${gateway}. Intranet resources are out of reach.`,
  reconnectingTitle: 'Connection lost',
  reconnectingBody: (gateway, cause) =>
    `The connection to ${gateway} dropped (${cause}). Reconnecting…`,
  errorTitle: 'Could not connect',
  errorReason: {
    'bad-credentials': () => 'The user name or password is wrong.',
    'otp-required': () => 'The gateway asks for a one-time code. Open Passerelle to type it.',
    'untrusted-certificate': (gw) =>
      `The certificate of ${gw} is not trusted. Open Passerelle to check its fingerprint.`,
    'certificate-changed': (gw) =>
      `The certificate of ${gw} has changed since you trusted it. This is what an interception looks like: open Passerelle before you go on.`,
    'gateway-unreachable': (gw) =>
      `${gw} cannot be reached. Check your internet connection and the gateway address.`,
    'no-privileges': () =>
      'Passerelle lacks the permission to create its network device. Open Passerelle for what to do.',
    'helper-missing': () =>
      'The Passerelle network service is not running. Install the Passerelle .deb package (an AppImage cannot install the service), or ask your administrator.',
    'rate-limited': () => 'Too many attempts. Wait a few minutes, then try again.',
    protocol: (gw) =>
      `${gw} answered something Passerelle does not understand. Ask your administrator.`,
    internal: () => 'Something went wrong inside Passerelle. The Logs view has the details.',
  },
  cause: {
    'name-unknown': 'its name is unknown: check the gateway address',
    'dns-unavailable': 'no DNS server answered: check your internet connection',
    'timed-out': 'it did not answer in time: check your internet connection, or a firewall',
    refused: 'it refused the connection: the gateway service may be down, or the port wrong',
    'network-unreachable': 'there is no route to it: check your internet connection',
    'connection-reset': 'the connection was cut',
    'tls-failed': 'the secure connection could not be set up',
    'keepalive-lost': 'the gateway stopped answering',
    'gateway-closed': 'the gateway closed the connection',
    other: 'an unexpected network error',
  },
  unreachable: (gw, cause) => `${gw} cannot be reached: ${cause}.`,
  rateLimitedUntil: (time) => `Too many attempts. Try again at ${time}.`,
  noPrivileges: NO_PRIVILEGES.en,
  contextMenu: { cut: 'Cut', copy: 'Copy', paste: 'Paste', selectAll: 'Select All' },
};

const fr: MainMessages = {
  appName: 'Passerelle',
  state: {
    disconnected: 'Déconnecté',
    connecting: 'Connexion en cours…',
    connected: 'Connecté',
    error: 'Échec de la connexion',
  },
  phase: {
    resolving: 'recherche de la passerelle',
    securing: 'ouverture d’une connexion sécurisée',
    'signing-in': 'authentification',
    configuring: 'configuration du réseau',
  },
  menu: {
    connect: 'Se connecter',
    disconnect: 'Se déconnecter',
    cancel: 'Annuler',
    open: 'Ouvrir Passerelle',
    quit: 'Quitter',
    profiles: 'Profils',
  },
  status: {
    connectedTo: (gw) => `Connecté à ${gw}`,
    intranetIp: (ip) => `Adresse intranet ${ip}`,
    duration: (d, since) => `Depuis ${d} (${since})`,
    connectingTo: (gw, phase) => `Connexion à ${gw} : ${phase}…`,
    reconnectingTo: (gw, attempt) => `Reconnexion à ${gw} (tentative ${attempt})…`,
    disconnected: 'Déconnecté',
    failed: 'Échec de la connexion : ouvrez Passerelle pour les détails',
    profile: (name) => `Profil : ${name}`,
  },
  tooltipGateway: (gateway) => `Passerelle : ${gateway}`,
  noProfile: 'Aucune passerelle configurée',
  connectedTitle: 'Connecté',
  connectedBody: (gateway, ip) =>
    ip
      ? `Connexion sécurisée à ${gateway}. Votre adresse intranet est ${ip}.`
      : `Connexion sécurisée à ${gateway}.`,
  disconnectedTitle: 'Déconnecté',
  disconnectedBody: (gateway) =>
    `Vous n’êtes plus connecté à ${gateway}. Les ressources de l’intranet ne sont plus accessibles.`,
  reconnectingTitle: 'Connexion perdue',
  reconnectingBody: (gateway, cause) =>
    `La connexion à ${gateway} a été coupée (${cause}). Reconnexion en cours…`,
  errorTitle: 'Connexion impossible',
  errorReason: {
    'bad-credentials': () => 'Le nom d’utilisateur ou le mot de passe est incorrect.',
    'otp-required': () =>
      'La passerelle demande un code à usage unique. Ouvrez Passerelle pour le saisir.',
    'untrusted-certificate': (gw) =>
      `Le certificat de ${gw} n’est pas reconnu. Ouvrez Passerelle pour vérifier son empreinte.`,
    'certificate-changed': (gw) =>
      `Le certificat de ${gw} a changé depuis que vous lui avez fait confiance. C’est ainsi que se présente une interception : ouvrez Passerelle avant de continuer.`,
    'gateway-unreachable': (gw) =>
      `${gw} est injoignable. Vérifiez votre connexion à Internet et l’adresse de la passerelle.`,
    'no-privileges': () =>
      'Passerelle n’a pas le droit de créer son interface réseau. Ouvrez Passerelle pour savoir quoi faire.',
    'helper-missing': () =>
      'Le service réseau de Passerelle ne fonctionne pas. Installez le paquet .deb de Passerelle (une AppImage ne peut pas installer ce service) ou contactez votre administrateur.',
    'rate-limited': () => 'Trop de tentatives. Patientez quelques minutes puis réessayez.',
    protocol: (gw) =>
      `${gw} a répondu quelque chose que Passerelle ne comprend pas. Contactez votre administrateur.`,
    internal: () => 'Une erreur interne s’est produite. Le journal donne les détails.',
  },
  cause: {
    'name-unknown': 'son nom est inconnu : vérifiez l’adresse de la passerelle',
    'dns-unavailable': 'aucun serveur DNS n’a répondu : vérifiez votre connexion à Internet',
    'timed-out':
      'elle n’a pas répondu à temps : vérifiez votre connexion à Internet ou un pare-feu',
    refused:
      'elle a refusé la connexion : le service de la passerelle est peut-être arrêté, ou le port erroné',
    'network-unreachable': 'aucune route ne mène à elle : vérifiez votre connexion à Internet',
    'connection-reset': 'la connexion a été coupée',
    'tls-failed': 'la connexion sécurisée n’a pas pu être établie',
    'keepalive-lost': 'la passerelle ne répond plus',
    'gateway-closed': 'la passerelle a fermé la connexion',
    other: 'une erreur réseau inattendue',
  },
  unreachable: (gw, cause) => `${gw} est injoignable : ${cause}.`,
  rateLimitedUntil: (time) => `Trop de tentatives. Réessayez à ${time}.`,
  noPrivileges: NO_PRIVILEGES.fr,
  contextMenu: { cut: 'Couper', copy: 'Copier', paste: 'Coller', selectAll: 'Tout sélectionner' },
};

export const MAIN_MESSAGES: Record<Language, MainMessages> = { en, fr };

/** "fr-CA" → fr; anything we do not translate → en. */
export function languageFromLocale(locale: string): Language {
  return locale.toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

/** The host[:port] of a gateway URL, which is what people recognise. */
export function gatewayLabel(gatewayUrl: string): string {
  try {
    return new URL(gatewayUrl).host;
  } catch {
    return gatewayUrl;
  }
}

const LOCALE: Record<Language, string> = { en: 'en-GB', fr: 'fr-FR' };

/** "14:32", in the language's convention. */
export function clockTime(epochMs: number, language: Language): string {
  return new Intl.DateTimeFormat(LOCALE[language], { hour: '2-digit', minute: '2-digit' }).format(
    new Date(epochMs),
  );
}

/**
 * The sentence that says why a connection failed and what to do, with everything the error
 * state carries: the cause of an unreachable gateway, the time a rate limit ends, where the app
 * runs for missing privileges.
 */
export function errorSentence(
  state: Extract<EngineState, { kind: 'error' }>,
  language: Language,
  installKind: InstallKind,
): string {
  const m = MAIN_MESSAGES[language];
  const gw = gatewayLabel(state.gateway);
  switch (state.reason) {
    case 'gateway-unreachable':
      return state.cause
        ? m.unreachable(gw, m.cause[state.cause])
        : m.errorReason[state.reason](gw);
    case 'rate-limited':
      return state.retryAt !== undefined
        ? m.rateLimitedUntil(clockTime(state.retryAt, language))
        : m.errorReason[state.reason](gw);
    case 'no-privileges':
      return m.noPrivileges[installKind];
    default:
      return (m.errorReason[state.reason] ?? m.errorReason.internal)(gw);
  }
}
