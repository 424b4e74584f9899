// The widget's CSS, scoped by its shadow root so the host page's styles and ours never mix.

export const CSS = `
:host { all: initial; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
.root {
  --accent: #1f5fbf; --accent-dark: #184a96; --fg: #1c2330; --muted: #5b6475; --bg: #ffffff;
  --line: #dfe3ea; --soft: #f3f5f9; --own: #e3edfc; --danger: #b3261e; --ok: #1d7a3a;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--fg);
  position: fixed; right: 20px; bottom: 20px; z-index: 2147483000;
  display: flex; flex-direction: column; align-items: flex-end; gap: 12px;
}
button, input, select, textarea { font: inherit; color: inherit; }
:focus-visible { outline: 3px solid #8ab4f8; outline-offset: 2px; }
.launcher {
  width: 56px; height: 56px; border-radius: 50%; border: 0; cursor: pointer; position: relative;
  background: var(--accent); color: #fff; box-shadow: 0 4px 14px rgba(0,0,0,.25);
  display: grid; place-items: center;
}
.launcher:hover { background: var(--accent-dark); }
.launcher.with-text { width: auto; border-radius: 28px; padding: 0 18px 0 15px; display: flex; gap: 8px; align-items: center; font-weight: 600; }
.root.left { right: auto; left: 20px; align-items: flex-start; }
.logo { height: 28px; max-width: 96px; object-fit: contain; border-radius: 4px; background: #fff; }
.privacy { margin: 0; padding: 6px 14px; font-size: 11px; color: var(--muted); border-top: 1px solid var(--line); }
.launcher svg { width: 26px; height: 26px; fill: currentColor; }
.badge {
  position: absolute; top: -4px; right: -4px; min-width: 20px; height: 20px; padding: 0 6px;
  border-radius: 10px; background: var(--danger); color: #fff; font-size: 12px; font-weight: 600;
  display: grid; place-items: center;
}
.panel {
  width: 370px; height: min(580px, calc(100vh - 110px)); background: var(--bg);
  border-radius: 14px; box-shadow: 0 10px 40px rgba(0,0,0,.28); overflow: hidden;
  display: flex; flex-direction: column;
}
.panel[hidden] { display: none; }
.head { background: var(--accent); color: #fff; padding: 12px 14px; display: flex; align-items: center; gap: 10px; }
.head h2 { font-size: 16px; margin: 0; font-weight: 600; }
.head .sub { font-size: 12px; opacity: .9; }
.head .titles { flex: 1; min-width: 0; }
.icon-btn { background: transparent; border: 0; color: inherit; cursor: pointer; width: 32px; height: 32px; border-radius: 6px; font-size: 20px; line-height: 1; }
.icon-btn:hover { background: rgba(255,255,255,.15); }
.banner { padding: 6px 14px; font-size: 13px; background: #fff4d6; color: #6b4e00; border-bottom: 1px solid #f0dfae; }
.banner:empty { display: none; }
.body { flex: 1; min-height: 0; display: flex; flex-direction: column; }
form.prechat { padding: 16px; overflow-y: auto; display: flex; flex-direction: column; gap: 12px; }
form.prechat p { margin: 0; color: var(--muted); }
.field { display: flex; flex-direction: column; gap: 4px; }
.field label { font-weight: 600; font-size: 13px; }
.field input, .field select, .field textarea {
  border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; background: #fff; width: 100%;
}
.field input[aria-invalid="true"] { border-color: var(--danger); }
.error { color: var(--danger); font-size: 13px; }
.error:empty { display: none; }
.primary {
  background: var(--accent); color: #fff; border: 0; border-radius: 8px; padding: 9px 14px; cursor: pointer; font-weight: 600;
}
.primary:hover { background: var(--accent-dark); }
.primary:disabled { opacity: .6; cursor: default; }
.secondary { background: #fff; color: var(--accent); border: 1px solid var(--accent); border-radius: 8px; padding: 8px 12px; cursor: pointer; }
.log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 8px; background: var(--soft); }
.msg { max-width: 82%; padding: 7px 10px; border-radius: 12px; background: #fff; border: 1px solid var(--line); align-self: flex-start; }
.msg.own { align-self: flex-end; background: var(--own); border-color: #c9dbf6; }
.msg .meta { font-size: 11px; color: var(--muted); display: flex; gap: 6px; }
.msg .author { font-weight: 600; }
.msg .text { white-space: pre-wrap; overflow-wrap: anywhere; }
.msg .state { font-size: 11px; color: var(--muted); text-align: right; }
.msg[data-state="failed"] { border-color: var(--danger); }
.msg[data-state="failed"] .state { color: var(--danger); }
.msg[data-state="sending"] { opacity: .75; }
.msg.auto { background: #eef7f0; border: 1px dashed #8fc5a0; }
.auto-tag { font-size: 11px; padding: 0 6px; border-radius: 8px; background: #e6f4ea; color: #17622f; }
.person-choice { align-self: flex-start; display: flex; flex-direction: column; gap: 4px; }
.person-error { font-size: 12px; color: var(--danger); }
.person-error:empty { display: none; }
.link-btn { background: none; border: 0; padding: 0; color: var(--accent); text-decoration: underline; cursor: pointer; font-size: 11px; margin-left: 6px; }
.notice.greeting { background: #fff; border: 1px solid var(--line); border-radius: 12px; padding: 8px 12px; color: var(--fg); font-size: 13px; }
.notice { align-self: center; font-size: 12px; color: var(--muted); text-align: center; padding: 2px 8px; }
.system { align-self: center; font-size: 12px; color: var(--muted); background: transparent; border: 0; }
.queue { padding: 8px 14px; font-size: 13px; background: #eaf2ff; border-top: 1px solid var(--line); }
.queue:empty { display: none; }
.offer { padding: 10px 14px; border-top: 1px solid var(--line); background: #fff; display: flex; flex-direction: column; gap: 8px; }
.offer[hidden] { display: none; }
.offer p { margin: 0; }
.offer .row { display: flex; gap: 8px; flex-wrap: wrap; }
.typing { font-size: 12px; color: var(--muted); padding: 0 14px; min-height: 18px; background: var(--soft); }
.composer { display: flex; gap: 8px; padding: 10px; border-top: 1px solid var(--line); align-items: flex-end; }
.composer-field { flex: 1; display: flex; flex-direction: column; gap: 2px; min-width: 0; }
.composer textarea { flex: 1; resize: none; border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; max-height: 120px; min-height: 38px; }
.composer textarea[aria-invalid] { border-color: var(--danger); }
.char-counter { align-self: flex-end; font-size: 11px; color: var(--muted); font-variant-numeric: tabular-nums; }
.char-counter.over { color: var(--danger); font-weight: 600; }
.length-error { margin: 0; padding: 6px 14px; border-top: 1px solid var(--line); color: var(--danger); font-size: 13px; }
.msg .text:empty { display: none; }
.attachments { display: flex; flex-direction: column; gap: 6px; margin-top: 4px; }
.att-image img { display: block; max-width: 220px; max-height: 200px; border-radius: 8px; cursor: zoom-in; }
.att-file { color: var(--accent); overflow-wrap: anywhere; }
.att-note { font-size: 12px; color: var(--muted); font-style: italic; }
.att-error { font-size: 12px; color: var(--danger); }
.attach { background: none; border: 1px solid var(--line); border-radius: 8px; width: 38px; height: 38px; cursor: pointer; color: var(--muted); display: grid; place-items: center; flex: none; }
.attach:hover { color: var(--accent); border-color: var(--accent); }
.attach:disabled { opacity: .5; cursor: default; }
.attach svg { width: 18px; height: 18px; fill: none; stroke: currentColor; stroke-width: 1.8; stroke-linecap: round; }
.upload-note { margin: 0; padding: 6px 14px; border-top: 1px solid var(--line); font-size: 13px; color: var(--muted); }
.upload-note.error { color: var(--danger); }
.ended { padding: 12px 14px; border-top: 1px solid var(--line); display: flex; flex-direction: column; gap: 8px; align-items: flex-start; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.end-chat { background: none; border: 0; color: var(--muted); text-decoration: underline; cursor: pointer; font-size: 12px; flex: none; align-self: center; }
.aftercare { display: flex; flex-direction: column; gap: 8px; width: 100%; }
.aftercare form { display: flex; flex-direction: column; gap: 6px; }
.aftercare form p, .aftercare label { margin: 0; font-weight: 600; font-size: 13px; }
.aftercare textarea, .aftercare input { border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; width: 100%; }
.aftercare .row { display: flex; gap: 8px; }
.stars { display: flex; gap: 4px; }
.star { background: none; border: 0; font-size: 26px; line-height: 1; color: #c3c8d2; cursor: pointer; padding: 2px; }
.star.on { color: #e8a200; }
.after-status { margin: 0; font-size: 13px; }
.after-status:empty { display: none; }
/* a phone: the open panel takes the whole (visual) viewport; 16px inputs keep iOS from zooming in */
@media (max-width: 480px) {
  .root { right: 10px; bottom: 10px; left: 10px; }
  .root.open { inset: 0; }
  .root.open .launcher { display: none; }
  .panel { position: fixed; left: 0; right: 0; top: var(--vv-top, 0px); width: 100%;
    height: var(--vv-height, 100dvh); border-radius: 0; }
  input, select, textarea { font-size: 16px !important; }
}
@media (prefers-reduced-motion: no-preference) {
  .panel { animation: pop .15s ease-out; }
  @keyframes pop { from { transform: translateY(8px); opacity: 0; } to { transform: none; opacity: 1; } }
}
`;
