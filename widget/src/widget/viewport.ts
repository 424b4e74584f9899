// On a phone the on-screen keyboard shrinks the visual viewport but not the layout viewport: the
// panel follows the visual one (CSS variables --vv-top / --vv-height), so the composer stays visible.

export function followVisualViewport(root: HTMLElement): void {
  const vv = window.visualViewport;
  if (!vv) return;
  const update = (): void => {
    root.style.setProperty("--vv-top", `${Math.round(vv.offsetTop)}px`);
    root.style.setProperty("--vv-height", `${Math.round(vv.height)}px`);
  };
  vv.addEventListener("resize", update);
  vv.addEventListener("scroll", update);
  update();
}
