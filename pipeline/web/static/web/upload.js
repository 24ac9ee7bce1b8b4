// 上传: send each chosen file as its own request, one progress bar per file; the server answers with the
// file's outcome row (the same rows the page shows without this script). No inline script: the CSP forbids it.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) { return; }
  var limit = parseInt(form.getAttribute("data-limit"), 10);
  var limitMb = form.getAttribute("data-limit-mb");
  var body = document.getElementById("outcomes");
  var list = document.getElementById("progress");
  var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  function item(file) {
    var li = document.createElement("li");
    var name = document.createElement("span");
    name.textContent = (file.webkitRelativePath || file.name) + " ";
    var bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    var note = document.createElement("span");
    note.className = "muted small";
    li.appendChild(name); li.appendChild(bar); li.appendChild(note);
    list.appendChild(li);
    return { bar: bar, note: note };
  }

  function addRows(html) {
    var none = document.getElementById("no-outcomes");
    if (none) { none.parentNode.removeChild(none); }
    body.insertAdjacentHTML("beforeend", html);
  }

  function send(queue) {
    if (!queue.length) { return; }
    var next = queue.shift();
    var file = next.file, ui = next.ui;
    if (file.size > limit) {
      ui.note.textContent = "超过上传上限 " + limitMb + " MB，未上传";
      ui.note.className = "error small";
      send(queue);
      return;
    }
    var data = new FormData();
    data.append("csrfmiddlewaretoken", token);
    data.append("js", "1");
    data.append("files", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRFToken", token);
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) { ui.bar.value = Math.round(100 * e.loaded / e.total); }
    };
    xhr.onload = function () {
      ui.bar.value = 100;
      if (xhr.status === 200 || xhr.status === 400) {
        addRows(xhr.responseText);
        ui.note.textContent = "完成";
      } else {
        ui.note.textContent = "上传失败（" + xhr.status + "）";
        ui.note.className = "error small";
      }
      send(queue);
    };
    xhr.onerror = function () {
      ui.note.textContent = "上传失败（网络）";
      ui.note.className = "error small";
      send(queue);
    };
    xhr.send(data);
  }

  form.addEventListener("submit", function (e) {
    var files = [];
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      Array.prototype.forEach.call(input.files, function (f) { files.push(f); });
    });
    if (!files.length) { return; }   // the server says 没有选择任何文件
    e.preventDefault();
    list.innerHTML = "";
    send(files.map(function (f) { return { file: f, ui: item(f) }; }));
    form.reset();
  });
}());
