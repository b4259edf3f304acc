import { createContext, useContext } from 'react';
import { MESSAGES, type Language, type Messages } from './messages.js';

export interface I18n {
  lang: Language;
  m: Messages;
}

export const I18nContext = createContext<I18n>({ lang: 'en', m: MESSAGES.en });

export function useI18n(): I18n {
  return useContext(I18nContext);
}
