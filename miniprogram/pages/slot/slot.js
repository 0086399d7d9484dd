const api = require('../../api/index.js');
const page = require('../../utils/page.js');
const format = require('../../utils/format.js');

Component({
  data: { session: {}, slots: [], loading: true, error: '', needLogin: false, empty: false },
  methods: {
    onLoad: function (options) {
      this.sessionId = options.session;
      this.rescheduleId = Number(options.reschedule) || 0; // 改约模式：选好时段去确认改约
      return this.reload();
    },
    onShow: function () {
      if (this.sessionId && !this.data.loading) {
        this.reload();
      }
    },
    reload: function () {
      const id = this.sessionId;
      return page.load(this, function () {
        return api.call('sessionDetail', { params: { session_id: id } }).then(function (s) {
          const slots = s.slots.map(function (slot) {
            return Object.assign({}, slot, { timeText: format.timePart(slot.starts_at) + '-' + format.timePart(slot.ends_at) });
          });
          return { session: Object.assign({}, s, { feeText: format.yuan(s.fee) }), slots: slots, empty: slots.length === 0 };
        });
      });
    },
    onChoose: function (e) {
      if (this.rescheduleId) {
        wx.navigateTo({
          url: '/pages/reschedule/reschedule?appointment=' + this.rescheduleId + '&session=' + this.sessionId + '&slot=' + e.currentTarget.dataset.id
        });
        return;
      }
      wx.navigateTo({ url: '/pages/confirm/confirm?session=' + this.sessionId + '&slot=' + e.currentTarget.dataset.id });
    }
  }
});
