"""Simplified Chinese for the msgids of the hardening rules (blobs, sync input, errors, push,
logins, input ranges), merged by the lead."""

# ruff: noqa: E501

ZH = {
    # blobs and sync entries
    "This photo or signature belongs to another record. Take it again.": "这张照片或签名属于另一条记录，请重新拍摄或签名。",
    "This exact image is already stored for another record. Take the photo again.": "同一张图片已存为另一条记录的附件，请重新拍摄。",
    "Another of your photos is being processed. The tablet sends this one again.": "您的另一张照片正在处理中，平板稍后会再次发送这一张。",
    "This form is not a checklist.": "这份表单不是检查表。",
    "This form is not the feedback form.": "这份表单不是试乘试驾意见表。",
    "The entry is nested too deeply to read.": "这条记录嵌套层级过深，无法读取。",
    "The tablet's clock gave an impossible time.": "平板时钟给出的时间不可能成立。",
    "Something went wrong. Everything stays on the tablet.": "服务器出错了，所有内容仍保存在平板上。",
    "Remove the invisible control characters from this text.": "请删除文字中不可见的控制字符。",
    "Licence photo": "驾驶证照片",
    "Attached": "附件",
    "Sequence number on the tablet": "平板上的序号",
    "Kind of entry": "记录类型",
    "Content": "内容",
    "Time on the tablet": "平板上的时间",
    "Answers": "回答",
    "You drive": "由您驾驶",
    "The server could not take this arrival yet. It stays on this tablet and is sent again when this page opens.": "服务器暂时未能接收这条到店登记。它仍保存在本机，重新打开本页时会再次发送。",
    # from the areas' changes
    "%(n)s entries need attention: the server could not take them. They stay on this tablet; Sync now tries again.": "%(n)s 条记录需要处理：服务器未能接收。它们仍保存在本机，点“立即同步”可再试。",
    "The server could not take this entry. It stays on this tablet; Sync now tries again.": "服务器未能接收这条记录。它仍保存在本机，点“立即同步”可再试。",
    "This entry waits for an earlier entry that needs attention.": "这条记录要等前面一条需要处理的记录。",
    "The server did not take the licence photo.": "服务器未接收驾驶证照片。",
    "The server did not take the signature.": "服务器未接收签名。",
    "The server refused this entry and keeps it for review.": "服务器拒收了这条记录，已留待复核。",
    "This browser's push subscription belongs to another account. Turn push off and on again here.": "此浏览器的推送订阅属于另一个账号。请在本设备上关闭推送后再重新打开。",
    "Try again in a minute": "请稍后再试",
    "The server cannot reach its database. Try again in a minute: nothing you entered on the tablet is lost.": "服务器暂时连不上数据库，请过一分钟再试。您在平板上录入的内容不会丢失。",
    "Try again": "重试",
    "Not readable": "无法读取",
    "The address or the form is not readable.": "网址或表单无法读取。",
    "Entry": "记录",
    "Entry id": "记录编号",
}
