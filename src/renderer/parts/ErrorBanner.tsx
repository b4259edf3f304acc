// An engine error in plain words: what happened, why, and what to do. A one-time code request
// is not a failure and is shown as a notice, not an error.
import type { InstallKind } from '../../shared/ipc-schema.js';
import { useI18n } from '../i18n/context.js';
import { errorSentences, type ErrorState } from '../presentation.js';

export function ErrorBanner({
  state,
  installKind,
  id,
}: {
  state: ErrorState;
  installKind: InstallKind;
  id?: string;
}) {
  const { m, lang } = useI18n();
  const [first, ...rest] = errorSentences(state, m, lang, installKind);
  const notice = state.reason === 'otp-required';
  return (
    <div
      className={`banner ${notice ? 'banner-warning' : 'banner-danger'}`}
      role={notice ? 'status' : 'alert'}
      id={id}
    >
      <p className="banner-lead">{first}</p>
      {rest.map((sentence) => (
        <p key={sentence}>{sentence}</p>
      ))}
    </div>
  );
}
