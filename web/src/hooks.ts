/** Loading data for a page, and running an action with its busy state and error. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError } from './api';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload(): void;
}

/** Runs `load` now and whenever `deps` change; a newer load wins over an older one. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  useEffect(() => {
    const mine = ++generation.current;
    setState((previous) => ({ ...previous, loading: true, error: undefined }));
    load().then(
      (data) => {
        if (mine === generation.current) setState({ data, loading: false });
      },
      (error: ApiError) => {
        if (mine === generation.current) setState({ error, loading: false });
      },
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export interface Action<A extends unknown[]> {
  run(...args: A): Promise<void>;
  busy: boolean;
  error: ApiError | undefined;
  done: boolean;
  reset(): void;
}

/** An action the user starts (a button): one at a time, its error kept for the form to show. */
export function useAction<A extends unknown[]>(perform: (...args: A) => Promise<unknown>): Action<A> {
  const [state, setState] = useState<{ busy: boolean; error?: ApiError; done: boolean }>({
    busy: false,
    done: false,
  });
  const busy = useRef(false);
  const run = async (...args: A) => {
    if (busy.current) return;
    busy.current = true;
    setState({ busy: true, done: false });
    try {
      await perform(...args);
      setState({ busy: false, done: true });
    } catch (error) {
      setState({ busy: false, error: error as ApiError, done: false });
    } finally {
      busy.current = false;
    }
  };
  return {
    run,
    busy: state.busy,
    error: state.error,
    done: state.done,
    reset: () => setState({ busy: false, done: false }),
  };
}
