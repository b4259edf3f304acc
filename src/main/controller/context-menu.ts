// The window's right-click menu: Cut, Copy, Paste and Select All where they apply, worded in
// the app's language. Electron has no default one; the shell pops up what this returns.
import type { Language } from '../../shared/ipc-schema.js';
import { MAIN_MESSAGES } from './messages.js';

/** The parts of Electron's context-menu parameters that decide the menu. */
export interface ContextMenuParams {
  isEditable: boolean;
  selectionText: string;
  editFlags: { canCut: boolean; canCopy: boolean; canPaste: boolean; canSelectAll: boolean };
}

export type EditRole = 'cut' | 'copy' | 'paste' | 'selectAll';

export interface ContextMenuItem {
  role: EditRole;
  label: string;
  enabled: boolean;
}

export function contextMenuItems(params: ContextMenuParams, language: Language): ContextMenuItem[] {
  const m = MAIN_MESSAGES[language].contextMenu;
  const hasSelection = params.selectionText.trim() !== '';
  if (params.isEditable) {
    return [
      { role: 'cut', label: m.cut, enabled: params.editFlags.canCut },
      { role: 'copy', label: m.copy, enabled: params.editFlags.canCopy },
      { role: 'paste', label: m.paste, enabled: params.editFlags.canPaste },
      { role: 'selectAll', label: m.selectAll, enabled: params.editFlags.canSelectAll },
    ];
  }
  // Read-only text (an address, a fingerprint, the log): Copy when something is selected.
  if (hasSelection) {
    return [
      { role: 'copy', label: m.copy, enabled: true },
      { role: 'selectAll', label: m.selectAll, enabled: true },
    ];
  }
  return [{ role: 'selectAll', label: m.selectAll, enabled: true }];
}
