// The API documentation page (templates/api/docs.html): Swagger UI reads the OpenAPI document the app generates.
// A file of its own, not an inline script, so the page works under the app's Content-Security-Policy.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({ url: root.getAttribute("data-spec-url"), domNode: root, deepLinking: false, validatorUrl: null });
})();
