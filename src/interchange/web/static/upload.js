// Drag-and-drop onto the upload form: the dropped file becomes the file input's, and the form is
// sent as it would be with the file picker (the same POST, the same CSRF field).
(function () {
  var zone = document.getElementById("dropzone");
  if (!zone) { return; }
  var input = zone.querySelector("input[type=file]");
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (event) {
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      var label = zone.querySelector("span");
      if (label) { label.textContent = input.files[0].name; }
    }
  });
  input.addEventListener("change", function () {
    var label = zone.querySelector("span");
    if (label && input.files.length) { label.textContent = input.files[0].name; }
  });
})();
