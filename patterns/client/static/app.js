/* The app: a form built from the model's fields, a price computed in the page on every submit,
 * and the release check. Reload policy (the page URL's ?reload=): "prompt" (default) shows
 * "update available" when the manifest names a newer release and reloads only when the user
 * clicks it (or on the next visit); "auto" reloads by itself as soon as it sees one. */
(function () {
  "use strict";

  var release = globalThis.ARCHLAB_RELEASE;
  var model = globalThis.archlabModel.checkFormat(release.model);
  var policy = new URLSearchParams(location.search).get("reload") === "auto" ? "auto" : "prompt";
  var form = document.getElementById("house");
  var state = {
    release: release.release, modelVersion: release.model_version, policy: policy,
    latestRelease: release.release, firstPredictionMs: null, predictions: 0, manifestChecks: 0,
    updateShownAt: null,  // epoch ms when the "update available" prompt appeared
    predict: function (raw) { return price(raw); },
  };
  window.archlabClient = state;

  function price(raw) {
    var cleaned = globalThis.archlabModel.cleanRecord(release.fields, raw);
    if (cleaned.errors.length) return { errors: cleaned.errors };
    state.predictions += 1;
    return { price: globalThis.archlabModel.predictPrice(model, cleaned.record), model_version: release.model_version };
  }

  function buildForm() {
    release.fields.forEach(function (spec) {
      var box = document.createElement("div");
      box.className = "field";
      var label = document.createElement("label");
      label.htmlFor = "field-" + spec.name;
      label.textContent = spec.label;
      var input;
      if (spec.kind === "categorical") {
        input = document.createElement("select");
        spec.choices.forEach(function (choice) {
          var option = document.createElement("option");
          option.value = option.textContent = choice;
          input.appendChild(option);
        });
      } else {
        input = document.createElement("input");
        input.type = "text";
        input.inputMode = "decimal";
      }
      input.id = "field-" + spec.name;
      input.name = spec.name;
      input.value = String(spec.default);
      var error = document.createElement("div");
      error.className = "error";
      error.id = "error-" + spec.name;
      box.append(label, input, error);
      form.appendChild(box);
    });
  }

  function formValues() {
    var raw = {};
    release.fields.forEach(function (spec) { raw[spec.name] = form.elements[spec.name].value; });
    return raw;
  }

  function show(answer) {
    form.querySelectorAll(".field").forEach(function (box) { box.classList.remove("invalid"); });
    form.querySelectorAll(".error").forEach(function (box) { box.textContent = ""; });
    var out = document.getElementById("answer");
    out.textContent = "";
    if (answer.errors) {
      answer.errors.forEach(function (error) {
        document.getElementById("error-" + error.field).textContent =
          error.message + " (expected " + error.expected + ")";
        document.getElementById("field-" + error.field).parentElement.classList.add("invalid");
      });
      return;
    }
    var shown = document.createElement("span");
    shown.id = "price";
    shown.textContent = "$" + Math.round(answer.price).toLocaleString("en-US");
    out.append(shown, " (model " + answer.model_version + ", computed in this page)");
  }

  function checkRelease() {
    fetch("/release.json", { cache: "no-store" }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (manifest) {
      state.manifestChecks += 1;
      state.latestRelease = manifest.release;
      document.getElementById("server").textContent = "App server reachable; latest release " + manifest.release + ".";
      if (manifest.release === release.release) return;
      if (policy === "auto") { location.reload(); return; }
      document.getElementById("update-text").textContent =
        "Update available: release " + manifest.release + " (model " + manifest.model_version + ").";
      document.getElementById("update").classList.add("shown");
      if (state.updateShownAt === null) state.updateShownAt = performance.timeOrigin + performance.now();
    }).catch(function () {
      document.getElementById("server").textContent = "App server unreachable: prices still work, updates wait.";
    });
  }

  buildForm();
  form.addEventListener("submit", function (event) { event.preventDefault(); show(price(formValues())); });
  document.getElementById("reload").addEventListener("click", function () { location.reload(); });
  document.getElementById("model-version").textContent = release.model_version;
  show(price(formValues()));  // a price for the default house at once: the first prediction
  state.firstPredictionMs = performance.now();
  setInterval(checkRelease, release.poll_seconds * 1000);
})();
