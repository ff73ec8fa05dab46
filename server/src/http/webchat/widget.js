/* Botme chat widget. One tag on any page:
 *   <script src="https://BOTME/widget.js" data-botme-key="wk_…" async></script>
 * shows a chat bubble; the chat itself is a page of Botme's in an iframe. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__botmeWidget) return;
  window.__botmeWidget = true;
  var key = script.getAttribute("data-botme-key");
  if (!key) { console.error("Botme: the script tag needs data-botme-key"); return; }
  var origin = new URL(script.src, location.href).origin;
  var label = script.getAttribute("data-botme-label") || "Chat with us";
  var color = script.getAttribute("data-botme-color") || "#4f46e5";

  var button = document.createElement("button");
  button.type = "button";
  button.setAttribute("aria-label", label);
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("data-botme", "bubble");
  button.style.cssText = "position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:none;" +
    "background:" + color + ";color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483646;" +
    "display:flex;align-items:center;justify-content:center";
  button.innerHTML = '<svg width="26" height="26" viewBox="0 0 24 24" fill="none" aria-hidden="true">' +
    '<path d="M4 5a3 3 0 0 1 3-3h10a3 3 0 0 1 3 3v9a3 3 0 0 1-3 3h-6l-5 4v-4H7a3 3 0 0 1-3-3z" fill="currentColor"/></svg>';

  var panel = null;
  function open() {
    if (!panel) {
      panel = document.createElement("iframe");
      panel.src = origin + "/chat/" + encodeURIComponent(key);
      panel.title = label;
      panel.setAttribute("data-botme", "panel");
      panel.style.cssText = "position:fixed;right:20px;bottom:88px;width:min(380px,calc(100vw - 40px));" +
        "height:min(600px,calc(100vh - 120px));border:none;border-radius:14px;box-shadow:0 8px 30px rgba(0,0,0,.25);" +
        "z-index:2147483647;background:#fff";
      document.body.appendChild(panel);
    }
    panel.style.display = "block";
    button.setAttribute("aria-expanded", "true");
  }
  function close() {
    if (panel) panel.style.display = "none";
    button.setAttribute("aria-expanded", "false");
    button.focus();
  }
  button.addEventListener("click", function () {
    button.getAttribute("aria-expanded") === "true" ? close() : open();
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && button.getAttribute("aria-expanded") === "true") close();
  });
  window.addEventListener("message", function (e) {
    if (e.origin === origin && e.data === "botme:close") close();
  });
  function mount() { document.body.appendChild(button); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
