// Charter's API reference: Swagger UI (from the swagger-ui-bundle package) on the
// document this page names. A file of its own: the pages' CSP runs no inline script.
window.addEventListener("load", function () {
  var element = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: element.dataset.openapi,
    domNode: element,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "BaseLayout",
    // Nothing leaves the site: no validator badge from a third-party service.
    validatorUrl: null,
  });
});
