import { useRef, useState } from 'preact/hooks';
import type { Box } from '../api/operations';

interface Props {
  /** The photo's own size: the drawn box is reported in its pixels. */
  width: number;
  height: number;
  onDraw: (box: Box) => void;
}

/** Drags shorter than this (screen pixels) are taps, not boxes. */
const MIN_DRAG = 8;

/**
 * A layer over a photo on which a box is drawn by dragging, with a mouse, a
 * pen or a finger alike (pointer events; `touch-action: none` keeps a finger
 * drag from scrolling the page). Reports the box in photo pixels.
 */
export function BoxDrawer({ width, height, onDraw }: Props) {
  const layer = useRef<HTMLDivElement>(null);
  const [drag, setDrag] = useState<{ x0: number; y0: number; x1: number; y1: number } | null>(null);

  const at = (e: PointerEvent) => {
    const r = layer.current!.getBoundingClientRect();
    return { x: Math.min(Math.max(e.clientX - r.left, 0), r.width), y: Math.min(Math.max(e.clientY - r.top, 0), r.height) };
  };
  const end = (e: PointerEvent) => {
    if (!drag) return;
    const { x, y } = at(e);
    setDrag(null);
    const r = layer.current!.getBoundingClientRect();
    const [left, right] = [Math.min(drag.x0, x), Math.max(drag.x0, x)];
    const [top, bottom] = [Math.min(drag.y0, y), Math.max(drag.y0, y)];
    if (right - left < MIN_DRAG || bottom - top < MIN_DRAG) return;
    const sx = width / r.width;
    const sy = height / r.height;
    onDraw({
      x: Math.round(left * sx),
      y: Math.round(top * sy),
      width: Math.min(width - Math.round(left * sx), Math.round((right - left) * sx)),
      height: Math.min(height - Math.round(top * sy), Math.round((bottom - top) * sy)),
    });
  };

  return (
    <div
      ref={layer}
      class="box-drawer"
      data-testid="box-drawer"
      title="Drag to draw a box around a face the detector missed"
      onPointerDown={(e) => {
        if (e.button !== 0) return;
        e.currentTarget.setPointerCapture(e.pointerId);
        const { x, y } = at(e);
        setDrag({ x0: x, y0: y, x1: x, y1: y });
      }}
      onPointerMove={(e) => drag && setDrag({ ...drag, ...rename(at(e)) })}
      onPointerUp={end}
      onPointerCancel={() => setDrag(null)}
    >
      {drag && (
        <span
          class="drawn-box"
          style={{
            left: `${Math.min(drag.x0, drag.x1)}px`,
            top: `${Math.min(drag.y0, drag.y1)}px`,
            width: `${Math.abs(drag.x1 - drag.x0)}px`,
            height: `${Math.abs(drag.y1 - drag.y0)}px`,
          }}
        />
      )}
    </div>
  );
}

function rename(p: { x: number; y: number }) {
  return { x1: p.x, y1: p.y };
}
