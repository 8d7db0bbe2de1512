/*
 * Peyvand lead form embed. Paste where the form should appear:
 *
 *   <script src="https://crm.example.ir/static/sales/leadform.js" data-form="KEY" async></script>
 *
 * It inserts an iframe with the form, passing this page's utm_* parameters, its referrer
 * and its address, which the lead keeps; the form reports its height so the frame fits.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.form) {
    return;
  }
  var key = script.dataset.form;
  var server = new URL(script.src, document.baseURI).origin;
  var page = new URL(window.location.href);
  var params = new URLSearchParams();
  page.searchParams.forEach(function (value, name) {
    if (name.indexOf("utm_") === 0) {
      params.set(name, value);
    }
  });
  if (document.referrer) {
    params.set("referrer", document.referrer);
  }
  params.set("page", page.href);

  var frame = document.createElement("iframe");
  frame.src = server + "/sales/forms/" + encodeURIComponent(key) + "/?" + params.toString();
  frame.title = script.dataset.title || "Peyvand";
  frame.style.width = "100%";
  frame.style.border = "0";
  frame.style.minHeight = "420px";
  frame.setAttribute("data-peyvand-form", key);
  script.parentNode.insertBefore(frame, script.nextSibling);

  window.addEventListener("message", function (event) {
    var data = event.data || {};
    if (event.origin === server && event.source === frame.contentWindow && data.peyvandLeadForm === key) {
      frame.style.height = Math.ceil(Number(data.height) || 0) + "px";
    }
  });
})();
