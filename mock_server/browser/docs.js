// Swagger UI on the sandbox's own contract; "Try it out" calls this sandbox (the contract's
// first server is the address it was served from) with the world's demo credentials.
(function () {
  "use strict";
  var ADMIN_HEADER = "X-Sandbox-Admin-Token";
  var note = document.getElementById("credentials");

  function say(text, state) {
    note.textContent = text;
    note.setAttribute("data-state", state);
  }

  // The world's credentials (GET /_sandbox/world; with an admin token set, the one this tab
  // was given on the dashboard), each put in the security scheme that takes it.
  function prefill(ui) {
    var headers = {};
    var token = window.sessionStorage.getItem("invoca-sandbox-admin-token");
    if (token) { headers[ADMIN_HEADER] = token; }
    fetch("/_sandbox/world", {headers: headers}).then(function (response) {
      if (!response.ok) {
        say("Demo credentials not prefilled (the control API needs the admin token): " +
            "use Authorize.", "refused");
        return null;
      }
      return response.json();
    }).then(function (world) {
      if (!world) { return; }
      var filled = [];
      var authorized = function (scheme) { return ui.authSelectors.authorized().has(scheme); };
      if (world.api_token) {
        ui.preauthorizeApiKey("apiToken", world.api_token);
        ui.preauthorizeApiKey("smsBearer", world.api_token);
        if (authorized("apiToken")) { filled.push("API token"); }
      }
      if (world.basic_auth) {
        ui.preauthorizeBasic("basicAuth", world.basic_auth.username, world.basic_auth.password);
        if (authorized("basicAuth")) { filled.push("HTTP Basic"); }
      }
      if (world.ring_pool) {
        ui.preauthorizeApiKey("ringPoolKey", world.ring_pool.api_key);
        if (authorized("ringPoolKey")) { filled.push("ring pool " + world.ring_pool.id + " key"); }
      }
      var where = world.network_id !== undefined ? " (network_id " + world.network_id + ")" : "";
      say(filled.length ? "Demo credentials prefilled" + where + ": " + filled.join(", ") +
          ". Authorize to change them." : "This world has no demo credentials.",
          filled.length ? "prefilled" : "none");
    }).catch(function () {
      say("Demo credentials not prefilled: the sandbox did not answer.", "failed");
    });
  }

  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    defaultModelsExpandDepth: 0,
    filter: true,
    onComplete: function () { prefill(window.ui); }
  });
}());
