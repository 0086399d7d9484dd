// 页面的加载状态：loading → 数据或中文错误（error / needLogin），配合 components/state-view
const errors = require('./errors.js');

function load(page, loader) {
  page.setData({ loading: true, error: '', needLogin: false });
  return loader().then(function (data) {
    page.setData(Object.assign({ loading: false }, data || {}));
    return true;
  }, function (err) {
    page.setData({ loading: false, error: errors.errorText(err), needLogin: !!(err && err.needLogin) });
    return false;
  });
}

function toastError(err) {
  wx.showToast({ title: errors.errorText(err), icon: 'none', duration: 3000 });
}

function confirm(content) {
  return new Promise(function (resolve) {
    wx.showModal({
      title: '请确认',
      content: content,
      success: function (res) {
        resolve(!!res.confirm);
      },
      fail: function () {
        resolve(false);
      }
    });
  });
}

module.exports = { load: load, toastError: toastError, confirm: confirm };
