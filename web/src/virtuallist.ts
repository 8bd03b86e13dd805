/**
 * A virtualised list of fixed-height rows: only the rows in view exist in the
 * DOM, so a 50,000-row call tree or function table scrolls smoothly.
 */
import { h } from './dom.js';

export const LIST_ROW_HEIGHT = 22;

export class VirtualList {
  readonly element: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private readonly body: HTMLDivElement;
  private count = 0;
  private rendered = new Map<number, HTMLElement>();

  constructor(
    private readonly renderRow: (index: number, row: HTMLDivElement) => void,
    className = '',
  ) {
    this.body = h('div', { class: 'vlist-body' });
    this.spacer = h('div', { class: 'vlist-spacer' }, this.body);
    this.element = h('div', { class: `vlist ${className}`, tabindex: 0 }, this.spacer);
    this.element.addEventListener('scroll', () => this.update());
    new ResizeObserver(() => this.update()).observe(this.element);
  }

  setCount(count: number): void {
    this.count = count;
    this.spacer.style.height = `${count * LIST_ROW_HEIGHT}px`;
    this.refresh();
  }

  /** Re-renders every visible row (data changed). */
  refresh(): void {
    // Re-render in place: row elements keep their identity, so a double click
    // whose first click changed the selection still lands on the same element.
    for (const [i, el] of this.rendered) {
      if (i >= this.count) continue;
      el.replaceChildren();
      el.className = 'vlist-row';
      this.renderRow(i, el as HTMLDivElement);
    }
    this.update();
  }

  /** Updates only what `fn` touches (e.g. the selected row's class) on the rows in view. */
  restyle(fn: (index: number, row: HTMLElement) => void): void {
    for (const [i, el] of this.rendered) fn(i, el);
  }

  scrollToRow(index: number): void {
    const top = index * LIST_ROW_HEIGHT;
    const view = this.element.clientHeight;
    if (top < this.element.scrollTop) this.element.scrollTop = top;
    else if (top + LIST_ROW_HEIGHT > this.element.scrollTop + view) this.element.scrollTop = top + LIST_ROW_HEIGHT - view;
    this.update();
  }

  private update(): void {
    const top = this.element.scrollTop;
    const height = this.element.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / LIST_ROW_HEIGHT) - 5);
    const last = Math.min(this.count, Math.ceil((top + height) / LIST_ROW_HEIGHT) + 5);
    for (const [i, el] of this.rendered) {
      if (i < first || i >= last) {
        el.remove();
        this.rendered.delete(i);
      }
    }
    for (let i = first; i < last; i++) {
      if (this.rendered.has(i)) continue;
      const row = h('div', { class: 'vlist-row', style: `top:${i * LIST_ROW_HEIGHT}px` });
      row.dataset.index = String(i);
      this.renderRow(i, row);
      this.body.appendChild(row);
      this.rendered.set(i, row);
    }
  }
}
