// 每个页面的加载中 / 出错（可重试）/ 空 三种状态，正常时显示页面内容（slot）
Component({
  properties: {
    loading: { type: Boolean, value: false },
    error: { type: String, value: '' },
    needLogin: { type: Boolean, value: false },
    empty: { type: Boolean, value: false },
    emptyText: { type: String, value: '暂无内容' }
  },
  methods: {
    onRetry: function () {
      this.triggerEvent('retry');
    },
    onLogin: function () {
      wx.navigateTo({ url: '/pages/login/login' });
    }
  }
});
