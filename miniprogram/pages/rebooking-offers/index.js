const api = require('../../api/index.js');
const page = require('../../utils/page.js');

// 停诊后的改约名额：为患者保留最近的同等号源，一键接受或放弃。
const STATUS = { open: '待答复', accepted: '已接受', declined: '已放弃', lapsed: '已过期' };

function timeText(iso) {
  // "2026-11-29T08:00:00+08:00" -> "2026-11-29 08:00"
  return iso ? iso.slice(0, 10) + ' ' + iso.slice(11, 16) : '';
}

Component({
  data: { offers: [], loading: true, error: '', needLogin: false, empty: false },
  methods: {
    onLoad: function () {
      return this.reload();
    },
    reload: function () {
      return page.load(this, function () {
        return api.call('rebookingOfferList').then(function (offers) {
          return {
            empty: offers.length === 0,
            offers: offers.map(function (o) {
              return Object.assign({}, o, {
                statusText: STATUS[o.status] || o.status,
                startsText: timeText(o.starts_at),
                expiresText: timeText(o.expires_at)
              });
            })
          };
        });
      });
    },
    onAccept: function (e) {
      const id = e.currentTarget.dataset.id;
      return api.call('rebookingOfferAccept', { params: { offer_id: id } }).then(function (appointment) {
        wx.showToast({ title: '已为您约上', icon: 'success' });
        wx.redirectTo({ url: '/pages/appointment/detail?id=' + appointment.id });
      }).catch(page.toastError);
    },
    onDecline: function (e) {
      const self = this;
      const id = e.currentTarget.dataset.id;
      return page.confirm('放弃后号源将释放给其他患者，确定放弃吗？').then(function (ok) {
        if (!ok) {
          return null;
        }
        return api.call('rebookingOfferDecline', { params: { offer_id: id } }).then(function () {
          wx.showToast({ title: '已放弃', icon: 'success' });
          return self.reload();
        });
      }).catch(page.toastError);
    },
    onOpen: function (e) {
      wx.navigateTo({ url: '/pages/appointment/detail?id=' + e.currentTarget.dataset.id });
    }
  }
});
