const api = require('../../api/index.js');
const page = require('../../utils/page.js');
const errors = require('../../utils/errors.js');

// 医生的问诊设置：是否开通、费用（界面上是元，服务器存分）、每日名额、回复时限
function toForm(offer) {
  return {
    enabled: !!offer.enabled,
    feeYuan: (Number(offer.fee || 0) / 100).toFixed(2),
    daily_cap: String(offer.daily_cap),
    reply_hours: String(offer.reply_hours)
  };
}

function fromForm(form) {
  const fee = Math.round(Number(form.feeYuan) * 100);
  const cap = Number(form.daily_cap);
  const hours = Number(form.reply_hours);
  if (!(fee >= 0) || String(form.feeYuan).trim() === '') {
    return { error: '请填写正确的费用（元）' };
  }
  if (!(cap >= 1 && cap <= 1000 && Math.floor(cap) === cap)) {
    return { error: '每日名额为 1 到 1000 的整数' };
  }
  if (!(hours >= 1 && hours <= 168 && Math.floor(hours) === hours)) {
    return { error: '回复时限为 1 到 168 小时的整数' };
  }
  return { body: { enabled: form.enabled, fee: fee, daily_cap: cap, reply_hours: hours } };
}

Component({
  data: { form: {}, saving: false, saveError: '', loading: true, error: '', needLogin: false },
  methods: {
    onLoad: function () {
      return this.reload();
    },
    reload: function () {
      return page.load(this, function () {
        return api.call('consultOffer').then(function (offer) {
          return { form: toForm(offer) };
        });
      });
    },
    onEnabled: function (e) {
      this.setData({ 'form.enabled': e.detail.value });
    },
    onInput: function (e) {
      const change = {};
      change['form.' + e.currentTarget.dataset.name] = e.detail.value;
      this.setData(change);
    },
    onSave: function () {
      const self = this;
      const checked = fromForm(self.data.form);
      if (checked.error) {
        self.setData({ saveError: checked.error });
        return Promise.resolve(false);
      }
      self.setData({ saving: true, saveError: '' });
      return api.call('consultOfferSet', { body: checked.body }).then(function (offer) {
        self.setData({ saving: false, form: toForm(offer) });
        wx.showToast({ title: '已保存', icon: 'success' });
        return true;
      }, function (err) {
        self.setData({ saving: false, saveError: errors.errorText(err) });
        return false;
      });
    },
    onReplies: function () {
      wx.navigateTo({ url: '/pages/consult/replies' });
    }
  }
});
