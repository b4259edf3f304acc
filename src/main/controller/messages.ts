// The words the main process shows itself (tray, desktop notifications), in English and French.
// The renderer has its own catalogue for the window.
import type { EngineErrorReason } from '../engine/types.js';
import type { Language } from '../../shared/ipc-schema.js';

export interface MainMessages {
  appName: string;
  state: { disconnected: string; connecting: string; connected: string; error: string };
  menu: { connect: string; disconnect: string; open: string; quit: string };
  /** Tooltip line 2 when there is a gateway. */
  tooltipGateway: (gateway: string) => string;
  noProfile: string;
  connectedTitle: string;
  connectedBody: (gateway: string, intranetIp: string | null) => string;
  disconnectedTitle: string;
  disconnectedBody: (gateway: string) => string;
  reconnectingTitle: string;
  reconnectingBody: (gateway: string) => string;
  errorTitle: string;
  errorReason: Record<EngineErrorReason, (gateway: string) => string>;
}

const en: MainMessages = {
  appName: 'Passerelle',
  state: {
    disconnected: 'Disconnected',
    connecting: 'Connecting…',
    connected: 'Connected',
    error: 'Connection failed',
  },
  menu: { connect: 'Connect', disconnect: 'Disconnect', open: 'Open Passerelle', quit: 'Quit' },
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
  reconnectingBody: (gateway) => `The connection to ${gateway} dropped. Reconnecting…`,
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
      'Passerelle lacks the permission to create its network device. Reinstall the app or ask your administrator.',
    'rate-limited': () => 'Too many attempts. Wait a few minutes, then try again.',
    protocol: (gw) =>
      `${gw} answered something Passerelle does not understand. Ask your administrator.`,
    internal: () => 'Something went wrong inside Passerelle. The Logs view has the details.',
  },
};

const fr: MainMessages = {
  appName: 'Passerelle',
  state: {
    disconnected: 'Déconnecté',
    connecting: 'Connexion…',
    connected: 'Connecté',
    error: 'Échec de la connexion',
  },
  menu: {
    connect: 'Se connecter',
    disconnect: 'Se déconnecter',
    open: 'Ouvrir Passerelle',
    quit: 'Quitter',
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
  reconnectingBody: (gateway) => `La connexion à ${gateway} a été coupée. Reconnexion…`,
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
      'Passerelle n’a pas le droit de créer son interface réseau. Réinstallez l’application ou contactez votre administrateur.',
    'rate-limited': () => 'Trop de tentatives. Patientez quelques minutes puis réessayez.',
    protocol: (gw) =>
      `${gw} a répondu quelque chose que Passerelle ne comprend pas. Contactez votre administrateur.`,
    internal: () => 'Une erreur interne s’est produite. Le journal donne les détails.',
  },
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
