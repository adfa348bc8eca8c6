/* Stoop touchpoint embed: <script src="https://STOOP/embed.js" data-touchpoint="SLUG"
   data-mode="button|inline" async></script>. A button that opens the question in a dialog, or
   the question inline in a card; both an iframe sized to its content. No dependencies. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) return;
  var slug = (script.getAttribute("data-touchpoint") || "").toLowerCase();
  if (!/^[a-z0-9]{1,40}$/.test(slug)) return;
  var mode = script.getAttribute("data-mode") === "inline" ? "inline" : "button";
  var origin = new URL(script.src, location.href).origin;
  var url = origin + "/t/" + slug + "?src=embed&embed=1";
  var lang = (document.documentElement.lang || navigator.language || "en").slice(0, 2);
  var words = {
    sv: ["Svara på vår fråga", "Stäng"],
    nl: ["Beantwoord onze vraag", "Sluiten"],
    en: ["Answer our question", "Close"]
  }[lang] || ["Answer our question", "Close"];
  var label = script.getAttribute("data-label") || words[0];

  function css(el, styles) {
    for (var k in styles) el.style[k] = styles[k];
    return el;
  }

  function frame() {
    var iframe = css(document.createElement("iframe"), {
      width: "100%", height: "420px", border: "0", display: "block", background: "#fff"
    });
    iframe.src = url;
    iframe.title = label;
    iframe.setAttribute("allow", "camera; microphone; fullscreen");
    window.addEventListener("message", function (event) {
      // Only our own page, in this very frame, may size it; and only with a sane number.
      if (event.origin !== origin || event.source !== iframe.contentWindow) return;
      var data = event.data || {};
      var height = Number(data.height);
      if (data.stoop === "height" && height > 0 && height < 20000) {
        iframe.style.height = height + "px";
      }
    });
    return iframe;
  }

  var host = document.createElement("div");
  host.className = "stoop-touchpoint";
  host.setAttribute("data-touchpoint", slug);
  script.parentNode.insertBefore(host, script.nextSibling);

  if (mode === "inline") {
    css(host, {
      maxWidth: "32rem", border: "1px solid #d9e0e1", borderRadius: "10px",
      overflow: "hidden", boxShadow: "0 2px 8px rgba(16,24,40,.08)"
    });
    host.appendChild(frame());
    return;
  }

  var button = css(document.createElement("button"), {
    font: "inherit", fontWeight: "600", padding: "0.7em 1.2em", borderRadius: "999px",
    border: "0", background: "#1f5f5b", color: "#fff", cursor: "pointer"
  });
  button.type = "button";
  button.textContent = label;
  host.appendChild(button);

  var dialog = null;
  button.addEventListener("click", function () {
    if (!dialog) {
      dialog = css(document.createElement("dialog"), {
        width: "min(32rem, 94vw)", padding: "0", border: "0", borderRadius: "10px",
        maxHeight: "92vh", overflow: "auto"
      });
      dialog.setAttribute("aria-label", label);
      var close = css(document.createElement("button"), {
        position: "sticky", top: "0", float: "right", margin: "6px", zIndex: "1",
        font: "inherit", padding: "0.3em 0.8em", borderRadius: "999px",
        border: "1px solid #d9e0e1", background: "#fff", cursor: "pointer"
      });
      close.type = "button";
      close.textContent = words[1];
      close.addEventListener("click", function () { dialog.close(); button.focus(); });
      dialog.appendChild(close);
      dialog.appendChild(frame());
      host.appendChild(dialog);
    }
    if (dialog.showModal) dialog.showModal(); else dialog.setAttribute("open", "");
  });
})();
