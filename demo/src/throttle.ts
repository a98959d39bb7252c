/**
 * `useThrottled(value, ms)`: the latest `value`, but changing at most once per `ms` (the last change
 * always lands). For counts and charts, whose queries cost seconds at 100k calls, so they follow
 * live updates at a gentler pace than the visible rows do.
 */
import { useEffect, useRef, useState } from "preact/hooks";

export function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    const wait = last.current + ms - Date.now();
    if (wait <= 0) {
      last.current = Date.now();
      setShown(value);
      return;
    }
    const timer = setTimeout(() => {
      last.current = Date.now();
      setShown(value);
    }, wait);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return shown;
}
