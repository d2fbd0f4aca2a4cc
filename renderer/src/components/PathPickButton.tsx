// "Choose…" beside a path field: in the desktop app it opens the system's file or folder dialog
// and fills the field with the choice; in the web shell, which has no dialog that can name a path
// on this computer, it is not shown and the path is typed.
import type { PickPathRequest } from '../../../main/common/contracts/path-picker.ts';
import type { ApiClient } from '../api/api-client.ts';

export interface PathPickButtonProps {
  client: ApiClient;
  request: PickPathRequest;
  /** The button's accessible name, e.g. "Choose the model folder". */
  label: string;
  onPicked: (path: string) => void;
  onError: (error: unknown) => void;
  disabled?: boolean;
}

export function PathPickButton({ client, request, label, onPicked, onError, disabled }: PathPickButtonProps) {
  if (!client.canPickPaths) return null;
  const pick = async () => {
    try {
      const path = await client.pickPath(request);
      if (path !== null) onPicked(path);
    } catch (e) {
      onError(e);
    }
  };
  return (
    <button type="button" aria-label={label} disabled={disabled} onClick={() => void pick()}>
      Choose…
    </button>
  );
}
