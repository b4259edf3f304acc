// What to tell a user whose Passerelle may not create its network device, by where the app
// runs: the same words in the window and in the desktop notification, so they live here once.
// A new way of getting the privilege (a helper service, say) adds its case to InstallKind and
// its words here.
import type { InstallKind, Language } from './ipc-schema.js';

export const NO_PRIVILEGES: Record<Language, Record<InstallKind, string>> = {
  en: {
    deb: 'Passerelle is not allowed to create its network device, although the installed package should allow it. Reinstall the package (sudo apt install --reinstall passerelle), or ask your administrator.',
    appimage:
      'Passerelle is not allowed to create its network device: an AppImage cannot get that permission. Install the .deb package instead, or ask your administrator.',
    development:
      'This development build is not allowed to create a network device. Give Electron the capability (sudo setcap cap_net_admin+ep node_modules/electron/dist/electron), or run it as root in a test network namespace with --dev-allow-root.',
    other:
      'Passerelle is not allowed to create its network device. Reinstall the app, or ask your administrator.',
  },
  fr: {
    deb: 'Passerelle n’a pas le droit de créer son interface réseau, alors que le paquet installé devrait le lui donner. Réinstallez le paquet (sudo apt install --reinstall passerelle) ou contactez votre administrateur.',
    appimage:
      'Passerelle n’a pas le droit de créer son interface réseau : une AppImage ne peut pas obtenir ce droit. Installez plutôt le paquet .deb, ou contactez votre administrateur.',
    development:
      'Cette version de développement n’a pas le droit de créer une interface réseau. Donnez la capacité à Electron (sudo setcap cap_net_admin+ep node_modules/electron/dist/electron), ou lancez-la en root dans un espace de noms réseau de test avec --dev-allow-root.',
    other:
      'Passerelle n’a pas le droit de créer son interface réseau. Réinstallez l’application ou contactez votre administrateur.',
  },
};
