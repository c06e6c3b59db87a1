/** Svelte attachments that play a MediaStreamTrack in a <video> or <audio> element. */
import type { Attachment } from 'svelte/attachments';

/**
 * `{@attach playTrack(track)}`: re-attaches when the track changes. `onBlocked` is called when
 * the browser refuses to start playback without a tap (autoplay policy, audio only).
 */
export function playTrack(track: MediaStreamTrack | null | undefined, onBlocked?: () => void): Attachment<HTMLMediaElement> {
  return (element) => {
    if (!track) {
      element.srcObject = null;
      return;
    }
    element.srcObject = new MediaStream([track]);
    element.play().catch((error: unknown) => {
      if (error instanceof DOMException && error.name === 'NotAllowedError') onBlocked?.();
    });
    return () => {
      element.srcObject = null;
    };
  };
}

/** `{@attach observeWidth(fn)}`: reports the element's rendered width whenever it changes. */
export function observeWidth(onWidth: (width: number) => void): Attachment<HTMLElement> {
  return (element) => {
    if (typeof ResizeObserver === 'undefined') {
      onWidth(element.clientWidth);
      return;
    }
    const observer = new ResizeObserver((entries) => {
      for (const entry of entries) onWidth(entry.contentRect.width);
    });
    observer.observe(element);
    return () => observer.disconnect();
  };
}
