const api = require('../../api/index.js');
const errors = require('../../utils/errors.js');

Component({
  data: { mode: 'sms', phone: '', code: '', login: '', password: '', username: '', staffPassword: '', otp: '', resendIn: 0, submitting: false, error: '' },
  lifetimes: {
    detached: function () {
      clearInterval(this.timer);
    }
  },
  methods: {
    onLoad: function () {},
    onUnload: function () {
      clearInterval(this.timer);
    },
    onMode: function (e) {
      this.setData({ mode: e.currentTarget.dataset.mode, error: '' });
    },
    onInput: function (e) {
      const change = {};
      change[e.currentTarget.dataset.name] = e.detail.value;
      this.setData(change);
    },
    submit: function (promise) {
      const page = this;
      page.setData({ submitting: true, error: '' });
      return promise.then(function () {
        page.setData({ submitting: false });
        page.done();
      }, function (err) {
        page.setData({ submitting: false, error: errors.errorText(err) });
      });
    },
    done: function () {
      wx.showToast({ title: '登录成功', icon: 'success' });
      if (this.staff) {
        wx.reLaunch({ url: '/pages/consults/consults' }); // 医生直接进入问诊工作台
      } else if (getCurrentPages().length > 1) {
        wx.navigateBack();
      } else {
        wx.switchTab({ url: '/pages/index/index' });
      }
    },
    onWechatLogin: function () {
      const page = this;
      return page.submit(new Promise(function (resolve, reject) {
        wx.login({
          success: function (res) {
            resolve(res.code);
          },
          fail: function () {
            reject(new api.ApiError(0, 'wechat_login_refused'));
          }
        });
      }).then(function (code) {
        return api.login('loginWechat', { code: code });
      }));
    },
    onSendCode: function () {
      const page = this;
      if (!/^1\d{10}$/.test(page.data.phone)) {
        page.setData({ error: '请输入 11 位手机号' });
        return Promise.resolve();
      }
      page.setData({ error: '' });
      return api.call('smsSend', { body: { phone: page.data.phone } }).then(function (data) {
        page.setData({ resendIn: data.resend_after || 60 });
        clearInterval(page.timer);
        page.timer = setInterval(function () {
          const left = page.data.resendIn - 1;
          page.setData({ resendIn: left > 0 ? left : 0 });
          if (left <= 0) {
            clearInterval(page.timer);
          }
        }, 1000);
      }, function (err) {
        page.setData({ error: errors.errorText(err) });
      });
    },
    onSmsLogin: function () {
      return this.submit(api.login('loginSms', { phone: this.data.phone, code: this.data.code }));
    },
    // 医生用医院分配的账号登录（accounts/staff/login/），登录后在“我的”里进入问诊工作台
    onStaffLogin: function () {
      const page = this;
      return this.submit(api.login('staffLogin', {
        username: page.data.username, password: page.data.staffPassword, otp_token: page.data.otp
      }).then(function (data) {
        page.staff = data.role === 'doctor';
        return data;
      }));
    },
    onPasswordLogin: function () {
      return this.submit(api.login('loginPassword', { login: this.data.login, password: this.data.password }));
    }
  }
});
